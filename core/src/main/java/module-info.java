/**
 * capacity's core: the reservation contract ({@code dev.capacity}) and the in-memory reference
 * strategy. {@code dev.capacity.internal} is shared with the JDBC adapter only and is not API.
 */
module dev.capacity {
    requires org.slf4j;

    exports dev.capacity;
    exports dev.capacity.internal to dev.capacity.jdbc;
}
