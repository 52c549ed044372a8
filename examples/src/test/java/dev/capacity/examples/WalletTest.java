package dev.capacity.examples;

import static org.assertj.core.api.Assertions.assertThat;

import dev.capacity.StrategyKind;
import dev.capacity.jdbc.CapacityPool;
import dev.capacity.jdbc.CapacitySchema;
import dev.capacity.jdbc.JdbiStrategies;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

final class WalletTest {

    private static final AtomicLong IDS = new AtomicLong();
    private static CapacityPool pool;

    @BeforeAll
    static void open() {
        pool = CapacityPool.open("jdbc:h2:mem:wallet-test;DB_CLOSE_DELAY=-1", "sa", "", 50);
        CapacitySchema.install(pool.jdbi());
    }

    @AfterAll
    static void close() {
        pool.close();
    }

    private static Wallet wallets(StrategyKind kind) {
        return new Wallet(pool.jdbi(), JdbiStrategies.of(kind, pool.jdbi()));
    }

    private static String id(String name) {
        return name + "-" + IDS.incrementAndGet();
    }

    @ParameterizedTest
    @EnumSource(value = StrategyKind.class, names = {"OPTIMISTIC_VERSION", "PESSIMISTIC_LOCK", "CONDITIONAL_UPDATE"})
    void pay_20PaymentsAtOnce_neverOverdraw(StrategyKind kind) {
        Wallet wallets = wallets(kind);
        String alice = id("alice");
        wallets.open(alice, 100_00);

        List<Wallet.Outcome> outcomes = Crowd.atOnce(20, i -> Wallet.retry(() -> wallets.pay(alice, 30_00, alice + "-p" + i)));

        assertThat(outcomes.stream().filter(o -> o == Wallet.Outcome.DONE)).hasSize(3);
        assertThat(wallets.balance(alice)).isEqualTo(10_00);
    }

    @ParameterizedTest
    @EnumSource(value = StrategyKind.class, names = {"OPTIMISTIC_VERSION", "PESSIMISTIC_LOCK", "CONDITIONAL_UPDATE"})
    void transfer_bothWaysAtOnce_conservesMoneyAndNeverOverdraws(StrategyKind kind) {
        Wallet wallets = wallets(kind);
        String alice = id("alice");
        String bob = id("bob");
        wallets.open(alice, 60_00);
        wallets.open(bob, 10_00);

        List<Wallet.Outcome> outcomes = Crowd.atOnce(40, i -> Wallet.retry(() -> i % 2 == 0
                ? wallets.transfer(alice, bob, 7_00, alice + "-t" + i)
                : wallets.transfer(bob, alice, 5_00, alice + "-t" + i)));

        long done = outcomes.stream().filter(o -> o == Wallet.Outcome.DONE).count();
        assertThat(done).isPositive();
        assertThat(wallets.balance(alice) + wallets.balance(bob)).isEqualTo(70_00);
        assertThat(wallets.balance(alice)).isNotNegative();
        assertThat(wallets.balance(bob)).isNotNegative();
    }

    @Test
    void transfer_withoutEnoughMoney_movesNothing() {
        Wallet wallets = wallets(StrategyKind.CONDITIONAL_UPDATE);
        String zed = id("zed");
        String amy = id("amy");
        wallets.open(zed, 5_00);
        wallets.open(amy, 1_00);

        // zed > amy: the credit to amy runs first, and the refused debit must undo it
        assertThat(wallets.transfer(zed, amy, 9_00, zed + "-t")).isEqualTo(Wallet.Outcome.NOT_ENOUGH_MONEY);

        assertThat(wallets.balance(zed)).isEqualTo(5_00);
        assertThat(wallets.balance(amy)).isEqualTo(1_00);
    }

    @Test
    void transfer_repeated_movesTheMoneyOnce() {
        Wallet wallets = wallets(StrategyKind.PESSIMISTIC_LOCK);
        String amy = id("amy");
        String zed = id("zed");
        wallets.open(amy, 10_00);
        wallets.open(zed, 0);

        assertThat(wallets.transfer(amy, zed, 4_00, amy + "-t")).isEqualTo(Wallet.Outcome.DONE);
        assertThat(wallets.transfer(amy, zed, 4_00, amy + "-t")).isEqualTo(Wallet.Outcome.ALREADY_DONE);

        assertThat(wallets.balance(amy)).isEqualTo(6_00);
        assertThat(wallets.balance(zed)).isEqualTo(4_00);
    }

    @Test
    void payIn_concurrentlyWithPayments_losesNoMoney() {
        Wallet wallets = wallets(StrategyKind.CONDITIONAL_UPDATE);
        String kim = id("kim");
        wallets.open(kim, 0);

        Crowd.atOnce(30, i -> {
            wallets.payIn(kim, 1_00);
            return i;
        });

        assertThat(wallets.balance(kim)).isEqualTo(30_00);
    }
}
