/**
 * capacity's core: the reservation contract ({@code dev.capacity}) and the in-memory reference
 * strategy, and {@code dev.capacity.metrics}, its events as Micrometer meters (Micrometer is needed
 * only there). {@code dev.capacity.internal} is shared with the JDBC adapter only and is not API.
 */
module dev.capacity {
    requires org.slf4j;
    // dev.capacity.metrics only; optional at run time
    requires static micrometer.core;

    exports dev.capacity;
    exports dev.capacity.metrics;
    exports dev.capacity.internal to dev.capacity.jdbc;
}
