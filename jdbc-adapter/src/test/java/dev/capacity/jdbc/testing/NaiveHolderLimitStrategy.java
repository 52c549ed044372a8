package dev.capacity.jdbc.testing;

import dev.capacity.OrderResult;
import dev.capacity.ReservationRequest;
import dev.capacity.ReservationResult;
import dev.capacity.ReservationResult.Status;
import dev.capacity.ReservationStrategy;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * THE NEGATIVE CONTROL of per-holder limits (test sources only, never the library): the limit
 * kept the way an application bolts it on, outside the transaction that reserves. It counts the
 * units it granted each holder, checks the count against the limit, then reserves through an
 * honest strategy (which has no limit) and adds to the count: check, then act. Two requests of
 * one holder that both check before either acts are both granted.
 *
 * <p>So that a race of a few threads certainly shows it, the first {@code lineUp} callers wait
 * after their check until all of them have checked (30 s at most). Releases are not counted
 * back; the control is for races that only reserve.
 */
public final class NaiveHolderLimitStrategy extends ForwardingStrategy {

    private final CountDownLatch linedUp;
    private final Map<String, Long> limits = new ConcurrentHashMap<>();
    private final Map<String, Long> granted = new ConcurrentHashMap<>();

    public NaiveHolderLimitStrategy(ReservationStrategy honest, int lineUp) {
        super(honest);
        this.linedUp = new CountDownLatch(lineUp);
    }

    @Override
    public String name() {
        return "naive-holder-limit";
    }

    @Override
    public ReservationResult reserve(ReservationRequest request) {
        long limit = limits.getOrDefault(request.resourceId(), Long.MAX_VALUE);
        String holder = request.resourceId() + '\u0000' + request.holderId();
        if (granted.getOrDefault(holder, 0L) + request.quantity() > limit) {
            return new ReservationResult(Status.HOLDER_LIMIT_REACHED, null, ReservationResult.UNKNOWN_AVAILABLE, 1);
        }
        betweenCheckAndAct();
        ReservationResult result = delegate().reserve(request);
        if (result.status() == Status.RESERVED) {
            granted.merge(holder, (long) request.quantity(), Long::sum);
        }
        return result;
    }

    private void betweenCheckAndAct() {
        if (linedUp.getCount() == 0) {
            return;
        }
        linedUp.countDown();
        try {
            if (!linedUp.await(30, TimeUnit.SECONDS)) {
                throw new IllegalStateException("the callers to line up never all arrived");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void limitPerHolder(String resourceId, long maxUnits) {
        limits.put(resourceId, maxUnits);
    }

    @Override
    public String toString() {
        return name() + " over " + delegate().name();
    }

    @Override
    public OrderResult reserveAll(List<ReservationRequest> lines) {
        throw new UnsupportedOperationException("orders are not part of the negative control");
    }
}
