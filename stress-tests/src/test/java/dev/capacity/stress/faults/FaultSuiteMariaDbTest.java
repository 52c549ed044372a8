package dev.capacity.stress.faults;

/**
 * The fault suite's short form on an embedded MariaDB server: sessions ended with
 * {@code KILL CONNECTION} (and statements interrupted with {@code KILL QUERY}), statements cut
 * off by {@code max_statement_time}, the server stopped and started again (see {@link MariaDbTarget}).
 */
final class FaultSuiteMariaDbTest extends FaultSuiteContract {

    @Override
    FaultTarget.Kind database() {
        return FaultTarget.Kind.MARIADB;
    }
}
