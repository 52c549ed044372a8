package dev.capacity.stress.faults;

import static org.assertj.core.api.Assertions.assertThat;

import dev.capacity.StrategyKind;
import dev.capacity.stress.internal.Durability;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;

import java.util.EnumSet;
import java.util.List;
import java.util.Random;

/**
 * Every strategy races on a real database server through every fault of {@link FaultSuite},
 * and every race's history must check out, holds and confirms, orders and a per-holder limit
 * included: a confirm whose COMMIT was lost is looked up, never applied twice and never left
 * half-done; an order whose COMMIT was lost is whole or not there at all; a holder never passes
 * the limit, nor is refused under it. Each fault must really have happened, as often as
 * {@link Settings} asks. Throughput ratios are printed, not asserted: they are measurements (see
 * the README), not correctness. The same assertions on every database: a subclass names the server.
 * The suites of the two databases run beside each other ({@link FaultSuitesTest}); the tests of one
 * run one after the other, on its one server.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class FaultSuiteContract {

    private static final List<StrategyKind> KINDS = List.of(StrategyKind.OPTIMISTIC_VERSION,
            StrategyKind.PESSIMISTIC_LOCK, StrategyKind.CONDITIONAL_UPDATE, StrategyKind.UNIQUE_SLOTS,
            StrategyKind.COMBINING);

    private FaultTarget target;
    private FaultSuite suite;
    private Settings settings;

    /** The database the suite breaks. */
    abstract FaultTarget.Kind database();

    @BeforeAll
    void start() {
        String given = System.getProperty("capacity.seed");
        long seed = given == null ? new Random().nextLong() : Long.parseLong(given);
        System.out.println("fault suite on " + database().label() + ", seed " + seed + " (replay with -Dcapacity.seed=" + seed + ")");
        target = FaultTarget.start(database(), Durability.FAST);
        settings = Settings.defaults(seed);
        suite = new FaultSuite(target, settings);
    }

    @AfterAll
    void stop() {
        if (suite != null) {
            suite.close();
        }
        if (target != null) {
            target.close();
        }
    }

    @Test
    @Execution(ExecutionMode.SAME_THREAD)
    void everyStrategy_throughEveryFault_keepsEveryInvariant() {
        List<RaceOutcome> outcomes = suite.run(KINDS, EnumSet.allOf(Fault.class));
        String table = FaultReport.table(outcomes);
        System.out.println(table);

        assertThat(outcomes).hasSize(KINDS.size() * Fault.values().length);
        assertThat(outcomes).as(table).allMatch(RaceOutcome::invariantsHold);
        for (RaceOutcome o : outcomes) {
            switch (o.fault()) {
                case KILLS -> {
                    assertThat(o.injected()).as(table).isGreaterThanOrEqualTo(settings.kills());
                    if (target.cancelShare() > 0) {
                        assertThat(o.cancelled()).as(table).isGreaterThanOrEqualTo(settings.cancels());
                    }
                }
                case COMMIT_FAULTS -> {
                    assertThat(o.injected()).as(table).isGreaterThanOrEqualTo(settings.commitFaults());
                    assertThat(o.keyedUnknown()).as(table).isZero();
                    // confirms, orders and reserves at a holder's limit lost their COMMIT too, and
                    // what they answered then checked out
                    assertThat(o.lostConfirmCommits()).as(table).isPositive();
                    assertThat(o.lostOrderCommits()).as(table).isPositive();
                    assertThat(o.lostLimitedCommits()).as(table).isPositive();
                }
                case POOL_EXHAUSTED, RESTART -> {
                    // calls failed while connections or the server were missing, and failed fast
                    assertThat(o.report().unavailable()).as(table).isPositive();
                    assertThat(o.slowestFailureMicros()).as(table).isLessThan(10_000_000);
                }
                case TIMEOUTS -> {
                    assertThat(o.injected()).as(table).isGreaterThanOrEqualTo(settings.timeouts());
                    assertThat(o.newConnections()).as("timeouts cost no connection\n" + table).isZero();
                }
                default -> assertThat(o.newConnections()).as(table).isZero();
            }
            // every race did real work: grants and definite answers; and, where the database served
            // most of the race, holds confirmed, orders granted, requests refused at a holder's limit
            // (with the pool exhausted or the server down, a race runs at a fifth of its speed or less,
            // and an order, which needs a connection of its own, can miss every window: combining
            // granted none in one run of 2026-11-30, its batches holding the few connections there were)
            assertThat(o.report().grants()).as(table).isPositive();
            if (o.fault() != Fault.POOL_EXHAUSTED && o.fault() != Fault.RESTART) {
                assertThat(o.report().confirmed()).as(table).isPositive();
                assertThat(o.report().ordersGranted()).as(table).isPositive();
                assertThat(o.report().holderLimited()).as(table).isPositive();
            }
        }
    }

    @Test
    @Execution(ExecutionMode.SAME_THREAD)
    void retryOnError_isCaughtBookingTwice_whenCommitAcknowledgementsAreLost() {
        RaceOutcome outcome = suite.run("retry-on-error", Fault.COMMIT_FAULTS, 0, RetryOnErrorStrategy::new);
        String table = FaultReport.table(List.of(outcome));
        System.out.println(table);

        assertThat(outcome.injected()).isGreaterThanOrEqualTo(settings.commitFaults());
        assertThat(outcome.invariantsHold()).as(table).isFalse();
        // the second booking shows as a row no answer explains, or as two answers for one key
        assertThat(outcome.report().verdict().unexpected() + outcome.report().verdict().duplicateKeys())
                .as(table).isPositive();
    }
}
