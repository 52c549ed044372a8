package dev.capacity.stress.faults;

import dev.capacity.ReservationRequest;
import dev.capacity.ReservationResult;
import dev.capacity.StrategyKind;
import dev.capacity.StrategyOptions;
import dev.capacity.jdbc.JdbiReservationStrategy;
import dev.capacity.jdbc.JdbiStrategies;
import dev.capacity.jdbc.testing.ForwardingStrategy;

import org.jdbi.v3.core.Jdbi;

/**
 * A negative control for the fault suite: the common "retry on error" wrapper. It reserves with
 * conditional-update inside its own transaction, and when anything fails (the COMMIT included)
 * it simply runs the whole transaction again. When the COMMIT had in fact gone through, that
 * books the same request twice. The fault suite must catch it.
 */
final class RetryOnErrorStrategy extends ForwardingStrategy {

    private final Jdbi jdbi;
    private final JdbiReservationStrategy inner;

    RetryOnErrorStrategy(Jdbi jdbi, StrategyOptions options) {
        this(jdbi, JdbiStrategies.of(StrategyKind.CONDITIONAL_UPDATE, jdbi, options));
    }

    private RetryOnErrorStrategy(Jdbi jdbi, JdbiReservationStrategy inner) {
        super(inner);
        this.jdbi = jdbi;
        this.inner = inner;
    }

    @Override
    public String name() {
        return "retry-on-error (negative control)";
    }

    @Override
    public ReservationResult reserve(ReservationRequest request) {
        RuntimeException last = null;
        for (int attempt = 0; attempt < 3; attempt++) {
            try {
                // no idempotency key on the way down: the wrapper thinks the retry is harmless
                ReservationRequest unkeyed = new ReservationRequest(request.resourceId(), request.holderId(),
                        request.quantity(), null, request.hold());
                return jdbi.inTransaction(h -> inner.reserve(h, unkeyed));
            } catch (RuntimeException e) {
                last = e;
            }
        }
        throw last;
    }
}
