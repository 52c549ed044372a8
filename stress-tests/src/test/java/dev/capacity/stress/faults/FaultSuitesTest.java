package dev.capacity.stress.faults;

import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;

/**
 * The fault suite's short form on two real servers, side by side: {@link OnPostgres} (sessions
 * ended with {@code pg_terminate_backend}, {@code statement_timeout} and {@code lock_timeout}) and
 * {@link OnMariaDb} (sessions ended with {@code KILL CONNECTION}, statements interrupted with
 * {@code KILL QUERY}, {@code max_statement_time}; see {@link MariaDbTarget}). The two run at the
 * same time, each on a server of its own and each test after the other: their races run for fixed
 * times and until enough faults were injected, so each takes about as long beside the other as
 * alone, and the build is shorter by one of them. Nothing else runs beside them. Run one alone with
 * {@code -Dtest='FaultSuitesTest$OnMariaDb'}.
 */
final class FaultSuitesTest {

    @Nested
    @Execution(ExecutionMode.CONCURRENT)
    final class OnPostgres extends FaultSuiteContract {

        @Override
        FaultTarget.Kind database() {
            return FaultTarget.Kind.POSTGRES;
        }
    }

    @Nested
    @Execution(ExecutionMode.CONCURRENT)
    final class OnMariaDb extends FaultSuiteContract {

        @Override
        FaultTarget.Kind database() {
            return FaultTarget.Kind.MARIADB;
        }
    }
}
