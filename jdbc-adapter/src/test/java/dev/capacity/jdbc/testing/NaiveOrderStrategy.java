package dev.capacity.jdbc.testing;

import dev.capacity.OrderResult;
import dev.capacity.Reservation;
import dev.capacity.ReservationRequest;
import dev.capacity.ReservationResult;
import dev.capacity.ReservationStrategy;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * THE NEGATIVE CONTROL of orders (test sources only, never the library): an order placed the way
 * an application does without {@code reserveAll}, one line after the other through an honest
 * strategy, releasing the lines it got when a later one is refused. Between its lines other
 * orders see it half granted; two orders that each took the resource the other needs are both
 * refused and both give their units back, so units are left unsold while the orders wanted them.
 *
 * <p>So that a race of a few threads certainly shows it, the first {@code lineUp} orders wait
 * after their first line until all of them have placed it (30 s at most).
 */
public final class NaiveOrderStrategy extends ForwardingStrategy {

    private final CountDownLatch linedUp;

    public NaiveOrderStrategy(ReservationStrategy honest, int lineUp) {
        super(honest);
        this.linedUp = new CountDownLatch(lineUp);
    }

    @Override
    public String name() {
        return "naive-order";
    }

    @Override
    public OrderResult reserveAll(List<ReservationRequest> lines) {
        List<Reservation> granted = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            ReservationResult result = delegate().reserve(lines.get(i));
            if (i == 0) {
                afterFirstLine();
            }
            if (!result.isReserved()) {
                for (Reservation reservation : granted) {
                    delegate().release(reservation.id());
                }
                return OrderResult.refused(result.status(), i);
            }
            granted.add(result.reservation());
        }
        return OrderResult.granted(ReservationResult.Status.RESERVED, granted);
    }

    private void afterFirstLine() {
        if (linedUp.getCount() == 0) {
            return;
        }
        linedUp.countDown();
        try {
            if (!linedUp.await(30, TimeUnit.SECONDS)) {
                throw new IllegalStateException("the orders to line up never all arrived");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    @Override
    public String toString() {
        return name() + " over " + delegate().name();
    }
}
