package dev.capacity;

import static dev.capacity.ReservationResult.Status.HOLDER_LIMIT_REACHED;
import static dev.capacity.ReservationResult.Status.IDEMPOTENCY_KEY_CONFLICT;
import static dev.capacity.ReservationResult.Status.INSUFFICIENT_CAPACITY;
import static dev.capacity.ReservationResult.Status.REPLAYED;
import static dev.capacity.ReservationResult.Status.RESERVED;
import static org.assertj.core.api.Assertions.assertThat;

import dev.capacity.testing.MutableClock;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Orders in memory beyond the shared contract: expired holds under an order, keys of a refused
 * order, keys shared between orders and single requests, the listener, holders' counts, and a
 * quick multi-threaded check of the ledgers (the interleavings themselves are the jcstress tests').
 */
final class InMemoryOrderTest {

    private static final Duration MINUTE = Duration.ofMinutes(1);

    private final MutableClock clock = MutableClock.start();
    private final List<String> events = new CopyOnWriteArrayList<>();
    private final InMemoryStrategy strategy = new InMemoryStrategy(StrategyOptions.builder().clock(clock)
            .listener(new ReservationListener() {
                @Override
                public void onReserved(String name, ReservationRequest request, ReservationResult result) {
                    events.add(result.status() + " " + request.resourceId() + " #" + result.reservation().id());
                }

                @Override
                public void onRejected(String name, ReservationRequest request, ReservationResult result) {
                    events.add(result.status() + " " + request.resourceId());
                }
            }).build());

    private static ReservationRequest line(String resourceId, String holderId, int quantity) {
        return ReservationRequest.of(resourceId, holderId).withQuantity(quantity);
    }

    @Test
    void expiredHolds_neverRefuseAnOrder_andAreEndedByIt() {
        strategy.define("seats", 2);
        strategy.define("parking", 1);
        Reservation hold = strategy.reserve(line("parking", "bob", 1).withHold(MINUTE)).reservation();
        strategy.reserve(line("seats", "bob", 2).withHold(MINUTE));
        clock.advance(MINUTE);

        OrderResult order = strategy.reserveAll(List.of(line("seats", "ada", 2), line("parking", "ada", 1)));

        assertThat(order.status()).isEqualTo(RESERVED);
        assertThat(strategy.availability("seats")).contains(new Availability("seats", 2, 2, 0));
        assertThat(strategy.availability("parking")).contains(new Availability("parking", 1, 1, 0));
        assertThat(strategy.confirm(hold.id())).isEqualTo(HoldStatus.EXPIRED);
        assertThat(strategy.release(hold.id())).isFalse();
    }

    @Test
    void expiredHolds_doNotCountAgainstAHoldersLimit() {
        strategy.define("seats", 10);
        strategy.limitPerHolder("seats", 2);
        strategy.reserve(line("seats", "ada", 2).withHold(MINUTE));

        assertThat(strategy.reserveAll(List.of(line("seats", "ada", 1))).status()).isEqualTo(HOLDER_LIMIT_REACHED);
        clock.advance(MINUTE);
        assertThat(strategy.reserveAll(List.of(line("seats", "ada", 1), line("seats", "ada", 1))).status())
                .isEqualTo(RESERVED);
        assertThat(strategy.reserve(line("seats", "ada", 1)).status()).isEqualTo(HOLDER_LIMIT_REACHED);
    }

    @Test
    void anOrdersHolds_expireConfirmAndExtendOneByOne_andCountForTheHolder() {
        strategy.define("seats", 3);
        strategy.limitPerHolder("seats", 3);
        OrderResult order = strategy.reserveAll(List.of(line("seats", "ada", 1).withHold(MINUTE),
                line("seats", "ada", 1).withHold(MINUTE.multipliedBy(2)), line("seats", "ada", 1)));
        List<Reservation> lines = order.reservations();

        assertThat(order.status()).isEqualTo(RESERVED);
        assertThat(lines.get(0).expiresAt()).contains(clock.instant().plus(MINUTE));
        assertThat(lines.get(1).expiresAt()).contains(clock.instant().plus(MINUTE.multipliedBy(2)));
        assertThat(strategy.availability("seats")).contains(new Availability("seats", 3, 3, 2));
        assertThat(strategy.extend(lines.get(1).id(), MINUTE.multipliedBy(5))).isEqualTo(HoldStatus.EXTENDED);
        clock.advance(MINUTE);
        assertThat(strategy.availability("seats")).contains(new Availability("seats", 3, 2, 1));
        assertThat(strategy.reserve(line("seats", "ada", 1)).status()).as("the expired hold gave ada's unit back")
                .isEqualTo(RESERVED);
        assertThat(strategy.reserve(line("seats", "ada", 1)).status()).isEqualTo(INSUFFICIENT_CAPACITY);
        assertThat(strategy.confirm(lines.get(1).id())).isEqualTo(HoldStatus.CONFIRMED);
        assertThat(strategy.release(lines.get(2).id())).isTrue();
        assertThat(strategy.availability("seats")).contains(new Availability("seats", 3, 2, 0));
        assertThat(strategy.reserve(line("seats", "bob", 1)).status()).isEqualTo(RESERVED);
    }

    @Test
    void aRefusedKeyedOrder_leavesItsKeysUnused() {
        strategy.define("seats", 5);
        strategy.define("parking", 0);
        List<ReservationRequest> lines = List.of(line("seats", "ada", 1).withIdempotencyKey("o1/seats"),
                line("parking", "ada", 1).withIdempotencyKey("o1/parking"));

        OrderResult refused = strategy.reserveAll(lines);
        strategy.resize("parking", 1);
        OrderResult sentAgain = strategy.reserveAll(lines);
        OrderResult replayed = strategy.reserveAll(lines);

        assertThat(refused.status()).isEqualTo(INSUFFICIENT_CAPACITY);
        assertThat(refused.failedLine()).isEqualTo(1);
        assertThat(sentAgain.status()).isEqualTo(RESERVED);
        assertThat(replayed.status()).isEqualTo(REPLAYED);
        assertThat(replayed.reservations()).isEqualTo(sentAgain.reservations());
        assertThat(strategy.availability("seats")).contains(new Availability("seats", 5, 1));
    }

    @Test
    void aKeyedOrder_refusedForAnUnknownResource_leavesItsKeysUnused() {
        strategy.define("seats", 5);
        List<ReservationRequest> lines = List.of(line("seats", "ada", 1).withIdempotencyKey("k1"),
                line("later", "ada", 1).withIdempotencyKey("k2"));

        assertThat(strategy.reserveAll(lines).status()).isEqualTo(ReservationResult.Status.UNKNOWN_RESOURCE);
        strategy.define("later", 1);
        assertThat(strategy.reserveAll(lines).status()).isEqualTo(RESERVED);
    }

    @Test
    void keys_areSharedBetweenOrdersAndSingleRequests() {
        strategy.define("seats", 5);
        strategy.define("parking", 5);
        Reservation single = strategy.reserve(line("seats", "ada", 1).withIdempotencyKey("single")).reservation();
        OrderResult order = strategy.reserveAll(List.of(line("parking", "ada", 2).withIdempotencyKey("order/1"),
                line("seats", "ada", 1).withIdempotencyKey("order/2")));

        ReservationResult lineAlone = strategy.reserve(line("parking", "ada", 2).withIdempotencyKey("order/1"));
        ReservationResult lineOtherwise = strategy.reserve(line("parking", "bob", 2).withIdempotencyKey("order/1"));
        OrderResult singleAsOrder = strategy.reserveAll(List.of(line("seats", "ada", 1).withIdempotencyKey("single")));
        OrderResult mixed = strategy.reserveAll(List.of(line("seats", "ada", 1).withIdempotencyKey("order/2"),
                line("seats", "ada", 1).withIdempotencyKey("single")));

        assertThat(order.status()).isEqualTo(RESERVED);
        assertThat(lineAlone.status()).isEqualTo(REPLAYED);
        assertThat(lineAlone.reservation()).isEqualTo(order.reservations().get(0));
        assertThat(lineOtherwise.status()).isEqualTo(IDEMPOTENCY_KEY_CONFLICT);
        assertThat(singleAsOrder.status()).isEqualTo(REPLAYED);
        assertThat(singleAsOrder.reservations()).containsExactly(single);
        assertThat(mixed.status()).as("keys of two earlier requests, each matching").isEqualTo(REPLAYED);
        assertThat(mixed.reservations()).containsExactly(order.reservations().get(1), single);
        assertThat(strategy.availability("seats")).contains(new Availability("seats", 5, 2));
        assertThat(strategy.availability("parking")).contains(new Availability("parking", 5, 2));
    }

    @Test
    void aReplayedHold_showsItsCurrentExpiry() {
        strategy.define("seats", 5);
        List<ReservationRequest> lines = List.of(line("seats", "ada", 1).withIdempotencyKey("h").withHold(MINUTE));
        Reservation hold = strategy.reserveAll(lines).reservations().get(0);
        strategy.confirm(hold.id());

        OrderResult again = strategy.reserveAll(lines);

        assertThat(again.status()).isEqualTo(REPLAYED);
        assertThat(again.reservations().get(0).id()).isEqualTo(hold.id());
        assertThat(again.reservations().get(0).expiresAt()).as("confirmed since").isEmpty();
    }

    @Test
    void theListener_hearsOfEveryLine() {
        strategy.define("seats", 2);
        OrderResult order = strategy.reserveAll(List.of(line("seats", "ada", 1), line("seats", "bob", 1)));
        strategy.reserveAll(List.of(line("seats", "cy", 1), line("seats", "dee", 1)));

        assertThat(events).containsExactly(
                "RESERVED seats #" + order.reservations().get(0).id(),
                "RESERVED seats #" + order.reservations().get(1).id(),
                "INSUFFICIENT_CAPACITY seats", "INSUFFICIENT_CAPACITY seats");
    }

    @Test
    void aRefusedOrdersIds_areKnownNeverGranted() {
        strategy.define("seats", 1);
        long taken = strategy.reserve(line("seats", "ada", 1)).reservation().id();

        strategy.reserveAll(List.of(line("seats", "bob", 1), line("seats", "bob", 1)));

        // the refused order's lines had the next two ids
        for (long id = taken + 1; id <= taken + 2; id++) {
            assertThat(strategy.confirm(id)).as("id %d", id).isEqualTo(HoldStatus.UNKNOWN_RESERVATION);
        }
        assertThat(strategy.confirm(taken)).isEqualTo(HoldStatus.ALREADY_CONFIRMED);
    }

    /**
     * Threads send orders of one unit on each of three resources, in shuffled line order, and
     * release some of what they got, while another thread takes and returns single units of one of
     * them: at the end every resource counts exactly the live units, never past its capacity.
     */
    @Test
    void concurrentOrders_keepTheLedgers() throws Exception {
        List<String> ids = List.of("a", "b", "c");
        for (String id : ids) {
            strategy.define(id, 3);
        }
        int threads = 4;
        CyclicBarrier start = new CyclicBarrier(threads + 1);
        ConcurrentLinkedQueue<Reservation> live = new ConcurrentLinkedQueue<>();
        AtomicInteger granted = new AtomicInteger();
        ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
        List<Thread> workers = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            int seed = t;
            workers.add(new Thread(() -> {
                Random random = new Random(seed);
                try {
                    start.await();
                    for (int i = 0; i < 2_000; i++) {
                        List<ReservationRequest> lines = new ArrayList<>();
                        for (String id : ids) {
                            lines.add(line(id, "t" + seed, 1));
                        }
                        Collections.shuffle(lines, random);
                        OrderResult order = strategy.reserveAll(lines);
                        if (order.isReserved()) {
                            granted.incrementAndGet();
                            assertThat(order.reservations()).hasSize(3);
                            if (random.nextBoolean()) {
                                order.reservations().forEach(r -> assertThat(strategy.release(r.id())).isTrue());
                            } else {
                                live.addAll(order.reservations());
                            }
                        }
                        if (live.size() > 6) {
                            for (Reservation r = live.poll(); r != null; r = live.poll()) {
                                strategy.release(r.id());
                            }
                        }
                    }
                } catch (Throwable e) {
                    failures.add(e);
                }
            }));
        }
        Thread singles = new Thread(() -> {
            try {
                start.await();
                for (int i = 0; i < 4_000; i++) {
                    ReservationResult single = strategy.reserve(line("b", "s", 1));
                    if (single.isReserved()) {
                        strategy.release(single.reservation().id());
                    }
                }
            } catch (Throwable e) {
                failures.add(e);
            }
        });
        workers.forEach(Thread::start);
        singles.start();
        for (Thread worker : workers) {
            worker.join();
        }
        singles.join();

        assertThat(failures).isEmpty();
        assertThat(granted.get()).isPositive();
        for (String id : ids) {
            long units = live.stream().filter(r -> r.resourceId().equals(id)).count();
            assertThat(strategy.availability(id)).as(id).contains(new Availability(id, 3, units));
        }
    }

    /** Two threads send the same keyed order at once, many times: each time one RESERVED, one REPLAYED. */
    @Test
    void sameKeyedOrderTwiceAtOnce_isGrantedOnce() throws Exception {
        strategy.define("a", 1_000);
        strategy.define("b", 1_000);
        int rounds = 300;
        CyclicBarrier together = new CyclicBarrier(2);
        OrderResult[][] results = new OrderResult[2][rounds];
        ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
        List<Thread> senders = new ArrayList<>();
        for (int t = 0; t < 2; t++) {
            int sender = t;
            senders.add(new Thread(() -> {
                try {
                    for (int i = 0; i < rounds; i++) {
                        ReservationRequest a = line("a", "ada", 1).withIdempotencyKey("a/" + i);
                        ReservationRequest b = line("b", "ada", 2).withIdempotencyKey("b/" + i);
                        together.await();
                        results[sender][i] = strategy.reserveAll(sender == 0 ? List.of(a, b) : List.of(b, a));
                    }
                } catch (Throwable e) {
                    failures.add(e);
                }
            }));
        }
        senders.forEach(Thread::start);
        for (Thread sender : senders) {
            sender.join();
        }

        assertThat(failures).isEmpty();
        for (int i = 0; i < rounds; i++) {
            OrderResult first = results[0][i];
            OrderResult second = results[1][i];
            assertThat(List.of(first.status(), second.status())).as("round %d", i).containsExactlyInAnyOrder(RESERVED, REPLAYED);
            assertThat(second.reservations()).as("round %d", i)
                    .containsExactly(first.reservations().get(1), first.reservations().get(0));
        }
        assertThat(strategy.availability("a")).contains(new Availability("a", 1_000, rounds));
        assertThat(strategy.availability("b")).contains(new Availability("b", 1_000, 2L * rounds));
    }
}
