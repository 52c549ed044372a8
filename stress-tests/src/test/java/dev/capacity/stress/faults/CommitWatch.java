package dev.capacity.stress.faults;

import dev.capacity.HoldStatus;
import dev.capacity.OrderResult;
import dev.capacity.ReservationRequest;
import dev.capacity.ReservationResult;
import dev.capacity.ReservationStrategy;
import dev.capacity.jdbc.testing.FaultyDataSource;
import dev.capacity.jdbc.testing.ForwardingStrategy;

import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;

/**
 * A strategy that counts the COMMITs its calls lost, by the kind of call: it marks the thread
 * while a confirm, an order or a reserve on a resource with a per-holder limit runs, and
 * {@link FaultyDataSource#onFailedCommit} counts the failures on marked threads. So the fault
 * suite can say how many of those calls went through the lookup after an unknown COMMIT, whose
 * answers the checker then judged. Every call goes to the strategy it wraps. Threadsafe if that
 * strategy is.
 */
final class CommitWatch extends ForwardingStrategy {

    /** The calls watched. */
    enum Call { CONFIRM, ORDER, LIMITED_RESERVE }

    private final ThreadLocal<Call> calling = new ThreadLocal<>();
    private final Map<Call, AtomicLong> lostCommits = new EnumMap<>(Call.class);
    private final Predicate<String> limited;

    /**
     * @param limited whether a resource has a per-holder limit: its reserves are watched
     */
    CommitWatch(ReservationStrategy inner, FaultyDataSource faults, Predicate<String> limited) {
        super(inner);
        this.limited = limited;
        for (Call call : Call.values()) {
            lostCommits.put(call, new AtomicLong());
        }
        faults.onFailedCommit(() -> {
            Call call = calling.get();
            if (call != null) {
                lostCommits.get(call).incrementAndGet();
            }
        });
    }

    /** COMMITs of {@code call}s that failed so far. */
    long lostCommits(Call call) {
        return lostCommits.get(call).get();
    }

    @Override
    public HoldStatus confirm(long reservationId) {
        calling.set(Call.CONFIRM);
        try {
            return super.confirm(reservationId);
        } finally {
            calling.remove();
        }
    }

    @Override
    public OrderResult reserveAll(List<ReservationRequest> lines) {
        calling.set(Call.ORDER);
        try {
            return super.reserveAll(lines);
        } finally {
            calling.remove();
        }
    }

    @Override
    public ReservationResult reserve(ReservationRequest request) {
        if (!limited.test(request.resourceId())) {
            return super.reserve(request);
        }
        calling.set(Call.LIMITED_RESERVE);
        try {
            return super.reserve(request);
        } finally {
            calling.remove();
        }
    }
}
