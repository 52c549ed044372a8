package dev.capacity.stress.jcstress;

import dev.capacity.OrderResult;
import dev.capacity.Reservation;
import dev.capacity.ReservationRequest;
import dev.capacity.ReservationResult;
import dev.capacity.ReservationResult.Status;
import dev.capacity.ReservationStrategy;
import dev.capacity.jdbc.testing.ForwardingStrategy;

import java.util.ArrayList;
import java.util.List;

/**
 * THE NEGATIVE CONTROL for the order tests: an order as an application might write it over a
 * sound strategy (test sources only, never the library). Each line is reserved on its own, in
 * line order, through {@code delegate.reserve}, each one atomic and linearizable; if a line is
 * refused, the lines this call granted are released again and the order is refused with that
 * line's status. An order whose every line was replayed is REPLAYED, otherwise RESERVED.
 *
 * <p>Alone it keeps the contract. Two at once do not: orders crossing each other's resources
 * can each take one and both give up (undersold), the units of a refused order are taken for a
 * while (seen by others, though given back), and two callers sending the same keyed order in
 * different line orders can each make half of it, and both be told RESERVED.
 *
 * <p>Every other method is the delegate's ({@link ForwardingStrategy}).
 */
final class NaiveOrderStrategy extends ForwardingStrategy {

    NaiveOrderStrategy(ReservationStrategy delegate) {
        super(delegate);
    }

    @Override
    public OrderResult reserveAll(List<ReservationRequest> lines) {
        List<Reservation> got = new ArrayList<>(lines.size());
        List<Long> grantedHere = new ArrayList<>(lines.size());
        boolean allReplayed = true;
        for (int i = 0; i < lines.size(); i++) {
            ReservationResult line = delegate().reserve(lines.get(i));
            if (!line.isReserved()) {
                grantedHere.forEach(delegate()::release);
                return OrderResult.refused(line.status(), i);
            }
            got.add(line.reservation());
            if (line.status() == Status.RESERVED) {
                grantedHere.add(line.reservation().id());
                allReplayed = false;
            }
        }
        return OrderResult.granted(allReplayed ? Status.REPLAYED : Status.RESERVED, got);
    }

    @Override
    public String name() {
        return "naive-orders";
    }
}
