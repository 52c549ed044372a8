package dev.capacity.examples;

import dev.capacity.ReservationRequest;
import dev.capacity.ReservationResult;
import dev.capacity.StrategyKind;
import dev.capacity.jdbc.CapacityPool;
import dev.capacity.jdbc.CapacitySchema;
import dev.capacity.jdbc.JdbiReservationStrategy;
import dev.capacity.jdbc.JdbiStrategies;

import org.jdbi.v3.core.Jdbi;

import java.util.List;
import java.util.Locale;

/**
 * Wallets whose balance is a capacity in cents: money paid in grows the capacity
 * ({@link JdbiReservationStrategy#adjust}), a payment is a reservation of cents, and the balance is
 * what is still available. So two payments that race for the last $60 of a $100 balance can not
 * both pass, which is the lost update of the "read balance, subtract, save" code.
 *
 * <p>A transfer debits one wallet and credits the other in one transaction: both happen or
 * neither. It touches the two wallets in the order of their ids, whichever way the money goes, so
 * two transfers in opposite directions cannot deadlock each other.
 *
 * <p>Amounts are cents in an {@code int} (a reservation's quantity): up to $21,474,836.47 a payment.
 *
 * <p>Run it: {@code mvn -q -pl examples -am compile exec:java -Dexec.mainClass=dev.capacity.examples.Wallet}.
 *
 * <p>This class is threadsafe.
 */
public final class Wallet {

    /** What a payment or a transfer came to. */
    public enum Outcome { DONE, ALREADY_DONE, NOT_ENOUGH_MONEY, TRY_AGAIN }

    private final Jdbi jdbi;
    private final JdbiReservationStrategy money;

    public Wallet(Jdbi jdbi, JdbiReservationStrategy money) {
        this.jdbi = jdbi;
        this.money = money;
    }

    public void open(String wallet, long cents) {
        money.define(wallet, cents);
    }

    public long balance(String wallet) {
        return money.availability(wallet).orElseThrow().available();
    }

    /** Pays money in; safe alongside any other payment in or out. */
    public void payIn(String wallet, int cents) {
        money.adjust(wallet, cents);
    }

    /** Pays {@code cents} out of a wallet, once per payment id. */
    public Outcome pay(String wallet, int cents, String paymentId) {
        return outcome(money.reserve(ReservationRequest.of(wallet, "payment").withQuantity(cents)
                .withIdempotencyKey(paymentId)));
    }

    /** Moves {@code cents} from one wallet to another, whole or not at all, once per transfer id. */
    public Outcome transfer(String from, String to, int cents, String transferId) {
        try {
            return jdbi.inTransaction(h -> {
                ReservationRequest debit = ReservationRequest.of(from, "transfer to " + to).withQuantity(cents)
                        .withIdempotencyKey(transferId);
                Outcome outcome;
                if (from.compareTo(to) < 0) {
                    outcome = outcome(money.reserve(h, debit));
                    if (outcome == Outcome.DONE) {
                        money.adjust(h, to, cents);
                    }
                } else {
                    money.adjust(h, to, cents);
                    outcome = outcome(money.reserve(h, debit));
                }
                if (outcome != Outcome.DONE) {
                    throw new Undone(outcome);
                }
                return outcome;
            });
        } catch (Undone e) {
            return e.outcome;
        }
    }

    /** Rolls back a transfer whose debit did not happen, credit included. */
    private static final class Undone extends RuntimeException {
        private static final long serialVersionUID = 1L;
        final transient Outcome outcome;

        Undone(Outcome outcome) {
            super(outcome.name(), null, false, false);
            this.outcome = outcome;
        }
    }

    private static Outcome outcome(ReservationResult result) {
        switch (result.status()) {
            case RESERVED:
                return Outcome.DONE;
            case REPLAYED:
                return Outcome.ALREADY_DONE;
            case INSUFFICIENT_CAPACITY:
                return Outcome.NOT_ENOUGH_MONEY;
            case CONTENDED:
                return Outcome.TRY_AGAIN;
            default:
                throw new IllegalStateException(result.toString());
        }
    }

    // ---- the demo

    static String dollars(long cents) {
        return String.format(Locale.ROOT, "$%d.%02d", cents / 100, cents % 100);
    }

    public static void main(String[] args) {
        try (CapacityPool pool = CapacityPool.open("jdbc:h2:mem:wallets;DB_CLOSE_DELAY=-1", "sa", "", 40)) {
            CapacitySchema.install(pool.jdbi());
            Wallet wallets = new Wallet(pool.jdbi(), JdbiStrategies.of(StrategyKind.CONDITIONAL_UPDATE, pool.jdbi()));
            wallets.open("alice", 100_00);
            wallets.open("bob", 20_00);

            List<Outcome> payments = Crowd.atOnce(20, i -> retry(() -> wallets.pay("alice", 30_00, "p-" + i)));
            System.out.printf("alice has $100.00; 20 payments of $30.00 arrive at once.%n");
            System.out.printf("  %d paid, %d refused for lack of money; alice has %s left (never below zero)%n%n",
                    payments.stream().filter(o -> o == Outcome.DONE).count(),
                    payments.stream().filter(o -> o == Outcome.NOT_ENOUGH_MONEY).count(), dollars(wallets.balance("alice")));

            wallets.payIn("alice", 50_00);
            long before = wallets.balance("alice") + wallets.balance("bob");
            List<Outcome> transfers = Crowd.atOnce(40, i -> retry(() -> i % 2 == 0
                    ? wallets.transfer("alice", "bob", 7_00, "t-" + i)
                    : wallets.transfer("bob", "alice", 5_00, "t-" + i)));
            long after = wallets.balance("alice") + wallets.balance("bob");
            System.out.printf("alice gets $50.00 more; then 40 transfers run at once, alice->bob $7.00 and bob->alice $5.00.%n");
            System.out.printf("  %d done, %d refused; alice %s, bob %s: together %s before and %s after%n",
                    transfers.stream().filter(o -> o == Outcome.DONE).count(),
                    transfers.stream().filter(o -> o == Outcome.NOT_ENOUGH_MONEY).count(),
                    dollars(wallets.balance("alice")), dollars(wallets.balance("bob")), dollars(before), dollars(after));
        }
    }

    static Outcome retry(java.util.function.Supplier<Outcome> call) {
        Outcome outcome;
        do {
            outcome = call.get();
        } while (outcome == Outcome.TRY_AGAIN);
        return outcome;
    }
}
