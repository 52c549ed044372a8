package dev.capacity.stress.faults;

/** The fault suite's short form on an embedded PostgreSQL server. */
final class FaultSuiteTest extends FaultSuiteContract {

    @Override
    FaultTarget.Kind database() {
        return FaultTarget.Kind.POSTGRES;
    }
}
