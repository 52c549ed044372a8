package dev.capacity.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.capacity.Availability;
import dev.capacity.HoldStatus;
import dev.capacity.OrderResult;
import dev.capacity.Reservation;
import dev.capacity.ReservationRequest;
import dev.capacity.ReservationResult;
import dev.capacity.ReservationResult.Status;
import dev.capacity.ReservationStrategy;
import dev.capacity.StrategyKind;
import dev.capacity.StrategyOptions;
import dev.capacity.jdbc.testing.LedgersAddUp;
import dev.capacity.jdbc.testing.StrategyFixture;
import dev.capacity.jdbc.testing.TableSnapshot;
import dev.capacity.jdbc.testing.TestDatabase;
import dev.capacity.testing.ResourceIds;

import org.assertj.core.api.SoftAssertions;
import org.h2.jdbcx.JdbcDataSource;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.stream.Stream;

import javax.sql.DataSource;

/**
 * The catalogue of bad calls: each is refused with an exception whose message names the argument
 * or the problem, or answered with the documented result, and none writes anything. Every call
 * runs against every strategy on every database (and in memory where it applies); the three
 * tables are compared row by row, every column included, before and after.
 */
@ExtendWith(LedgersAddUp.class)
final class BadInputTest {

    private static final String PREFIX = "badinput_";

    /** A reservation id that no database of these tests issues. */
    private static final long NEVER_ISSUED = Long.MAX_VALUE;

    private static final Class<NullPointerException> NPE = NullPointerException.class;
    private static final Class<IllegalArgumentException> IAE = IllegalArgumentException.class;
    private static final Class<IllegalStateException> ISE = IllegalStateException.class;

    /**
     * A bad call on a {@code T} and its documented answer: an exception of {@code type} whose
     * message contains {@code message}, or, when {@code type} is null, the value {@code result}.
     */
    record BadCall<T>(String description, Function<T, Object> call, Class<? extends Exception> type, String message,
                      Object result) {

        static <T> BadCall<T> refused(String description, Consumer<T> call, Class<? extends Exception> type,
                                      String message) {
            return new BadCall<>(description, target -> {
                call.accept(target);
                return "no exception";
            }, type, message, null);
        }

        static <T> BadCall<T> answered(String description, Function<T, Object> call, Object result) {
            return new BadCall<>(description, call, null, null, result);
        }

        void check(SoftAssertions softly, T target) {
            Object answer = null;
            Exception thrown = null;
            try {
                answer = call.apply(target);
            } catch (Exception e) {
                thrown = e;
            }
            if (type == null) {
                softly.assertThat(thrown).as(description + " throws nothing").isNull();
                softly.assertThat(answer).as(description).isEqualTo(result);
            } else {
                softly.assertThat(thrown).as(description).isInstanceOf(type).hasMessageContaining(message);
            }
        }

        @Override
        public String toString() {
            return description;
        }
    }

    /**
     * What the calls refer to, made before the first snapshot: a resource of capacity 3 with one
     * live reservation (quantity 1, key {@code key}), one released one, a hold of a day, and a
     * limit of 5 per holder.
     */
    record Given(String existing, String key, long live, long released, long hold, String unknown, String fresh) {

        static Given on(ReservationStrategy strategy) {
            String existing = ResourceIds.newId("existing");
            String key = ResourceIds.newId("key");
            strategy.define(existing, 3);
            long live = strategy.reserve(ReservationRequest.of(existing, "h").withIdempotencyKey(key))
                    .reservation().id();
            long released = strategy.reserve(ReservationRequest.of(existing, "h")).reservation().id();
            assertThat(strategy.release(released)).isTrue();
            long hold = strategy.reserve(ReservationRequest.of(existing, "cart").withHold(Duration.ofDays(1)))
                    .reservation().id();
            strategy.limitPerHolder(existing, 5);
            return new Given(existing, key, live, released, hold, ResourceIds.newId("unknown"),
                    ResourceIds.newId("fresh"));
        }

        ReservationRequest request() {
            return ReservationRequest.of(existing, "h");
        }
    }

    /** The calls every strategy answers the same, database or not. */
    static List<BadCall<ReservationStrategy>> strategyCalls(Given g) {
        String e = g.existing();
        String u = g.unknown();
        String f = g.fresh();
        String emoji = "\uD83C\uDFAB"; // one code point, two chars
        return List.of(
                // reserve: the request is checked when it is built, before any strategy sees it
                BadCall.<ReservationStrategy>refused("reserve(null)", s -> s.reserve(null), NPE,
                        "request must not be null"),
                BadCall.refused("reserve(resourceId null)", s -> s.reserve(ReservationRequest.of(null, "h")), NPE,
                        "resourceId must not be null"),
                BadCall.refused("reserve(resourceId with a lone high surrogate)",
                        s -> s.reserve(ReservationRequest.of(e + "\uD800", "h")), IAE,
                        "resourceId must be valid Unicode text, found an unpaired surrogate U+D800"),
                BadCall.refused("reserve(resourceId of zero-width and no-break spaces only)",
                        s -> s.reserve(ReservationRequest.of("\u200B\u00A0\uFEFF", "h")), IAE,
                        "resourceId must not be blank"),
                BadCall.refused("reserve(holderId null)", s -> s.reserve(ReservationRequest.of(e, null)), NPE,
                        "holderId must not be null"),
                BadCall.refused("reserve(holderId \"\")", s -> s.reserve(ReservationRequest.of(e, "")), IAE,
                        "holderId must not be blank"),
                BadCall.refused("reserve(holderId of tab and em space)",
                        s -> s.reserve(ReservationRequest.of(e, " \t\u2003")), IAE, "holderId must not be blank"),
                BadCall.refused("reserve(holderId of 201 characters)",
                        s -> s.reserve(ReservationRequest.of(e, "h".repeat(201))), IAE,
                        "holderId must be at most 200 characters, was 201"),
                BadCall.refused("reserve(holderId with a line feed)",
                        s -> s.reserve(ReservationRequest.of(e, "user\n7")), IAE,
                        "holderId must not contain control characters, found U+000A at index 4"),
                BadCall.refused("reserve(idempotencyKey \"\")",
                        s -> s.reserve(g.request().withIdempotencyKey("")), IAE, "idempotencyKey must not be blank"),
                BadCall.refused("reserve(withIdempotencyKey(null))",
                        s -> s.reserve(g.request().withIdempotencyKey(null)), NPE, "idempotencyKey must not be null"),
                BadCall.refused("reserve(idempotencyKey of 201 emoji)",
                        s -> s.reserve(g.request().withIdempotencyKey(emoji.repeat(201))), IAE,
                        "idempotencyKey must be at most 200 characters, was 201"),
                BadCall.refused("reserve(idempotencyKey with DEL)",
                        s -> s.reserve(g.request().withIdempotencyKey("key\u007F")), IAE,
                        "idempotencyKey must not contain control characters, found U+007F at index 3"),
                BadCall.refused("reserve(idempotencyKey with a lone low surrogate)",
                        s -> s.reserve(g.request().withIdempotencyKey("\uDC00key")), IAE,
                        "idempotencyKey must be valid Unicode text, found an unpaired surrogate U+DC00 at index 0"),
                BadCall.refused("reserve(quantity 0)", s -> s.reserve(g.request().withQuantity(0)), IAE,
                        "quantity must be positive, was 0"),
                BadCall.refused("reserve(quantity -1)", s -> s.reserve(g.request().withQuantity(-1)), IAE,
                        "quantity must be positive, was -1"),
                BadCall.refused("reserve(quantity Integer.MIN_VALUE)",
                        s -> s.reserve(g.request().withQuantity(Integer.MIN_VALUE)), IAE,
                        "quantity must be positive, was -2147483648"),
                // reserve: well-formed requests that cannot be granted are answers, not exceptions
                BadCall.answered("reserve(quantity Integer.MAX_VALUE)",
                        s -> s.reserve(g.request().withQuantity(Integer.MAX_VALUE)).status(),
                        Status.INSUFFICIENT_CAPACITY),
                BadCall.answered("reserve(quantity capacity + 1)",
                        s -> s.reserve(g.request().withQuantity(4)).status(), Status.INSUFFICIENT_CAPACITY),
                BadCall.answered("reserve(unknown resource)",
                        s -> s.reserve(ReservationRequest.of(u, "h")).status(), Status.UNKNOWN_RESOURCE),
                BadCall.answered("reserve(a used key with another quantity)",
                        s -> s.reserve(g.request().withQuantity(2).withIdempotencyKey(g.key())).status(),
                        Status.IDEMPOTENCY_KEY_CONFLICT),
                // define
                BadCall.refused("define(null, 1)", s -> s.define(null, 1), NPE, "resourceId must not be null"),
                BadCall.refused("define(\"\", 1)", s -> s.define("", 1), IAE, "resourceId must not be blank"),
                BadCall.refused("define(blank, 1)", s -> s.define(" \t ", 1), IAE, "resourceId must not be blank"),
                BadCall.refused("define(201 characters, 1)", s -> s.define("r".repeat(201), 1), IAE,
                        "resourceId must be at most 200 characters, was 201"),
                BadCall.refused("define(201 emoji, 1)", s -> s.define(emoji.repeat(201), 1), IAE,
                        "resourceId must be at most 200 characters, was 201"),
                BadCall.refused("define(NUL character, 1)", s -> s.define("run\u0000", 1), IAE,
                        "resourceId must not contain control characters, found U+0000 at index 3"),
                BadCall.refused("define(fresh, -1)", s -> s.define(f, -1), IAE, "capacity must not be negative, was -1"),
                BadCall.refused("define(fresh, Long.MIN_VALUE)", s -> s.define(f, Long.MIN_VALUE), IAE,
                        "capacity must not be negative, was -9223372036854775808"),
                BadCall.refused("define(existing, -1)", s -> s.define(e, -1), IAE, "capacity must not be negative"),
                BadCall.refused("define(existing, another capacity)", s -> s.define(e, 5), ISE,
                        "resource '" + e + "' already exists with capacity 3, not 5; use resize to change it"),
                // resize
                BadCall.refused("resize(null, 1)", s -> s.resize(null, 1), NPE, "resourceId must not be null"),
                BadCall.refused("resize(\"\", 1)", s -> s.resize("", 1), IAE, "resourceId must not be blank"),
                BadCall.refused("resize(existing, -1)", s -> s.resize(e, -1), IAE,
                        "newCapacity must not be negative, was -1"),
                BadCall.refused("resize(unknown, 5)", s -> s.resize(u, 5), IAE, "resourceId '" + u + "' is not defined"),
                // adjust
                BadCall.refused("adjust(null, 1)", s -> s.adjust(null, 1), NPE, "resourceId must not be null"),
                BadCall.refused("adjust(\" \", 1)", s -> s.adjust(" ", 1), IAE, "resourceId must not be blank"),
                BadCall.refused("adjust(existing, -4)", s -> s.adjust(e, -4), ISE,
                        "the capacity 3 of '" + e + "' cannot shrink by 4; it would be -1"),
                BadCall.refused("adjust(existing, Long.MAX_VALUE)", s -> s.adjust(e, Long.MAX_VALUE), ISE,
                        "the capacity 3 of '" + e + "' plus 9223372036854775807 overflows"),
                BadCall.refused("adjust(existing, Long.MIN_VALUE)", s -> s.adjust(e, Long.MIN_VALUE), ISE,
                        "the capacity 3 of '" + e + "' cannot shrink by 9223372036854775808"),
                BadCall.refused("adjust(unknown, 1)", s -> s.adjust(u, 1), IAE, "resourceId '" + u + "' is not defined"),
                // availability
                BadCall.refused("availability(null)", s -> s.availability(null), NPE, "resourceId must not be null"),
                BadCall.refused("availability(201 characters)", s -> s.availability("a".repeat(201)), IAE,
                        "resourceId must be at most 200 characters, was 201"),
                BadCall.answered("availability(unknown)", s -> s.availability(u), Optional.empty()),
                // release
                BadCall.refused("release(0)", s -> s.release(0), IAE, "reservationId must be positive, was 0"),
                BadCall.refused("release(-1)", s -> s.release(-1), IAE, "reservationId must be positive, was -1"),
                BadCall.refused("release(Long.MIN_VALUE)", s -> s.release(Long.MIN_VALUE), IAE,
                        "reservationId must be positive, was -9223372036854775808"),
                BadCall.answered("release(an id never issued)", s -> s.release(NEVER_ISSUED), false),
                BadCall.answered("release(an id already released)", s -> s.release(g.released()), false),
                // holds: a time to live is checked when the request is built, its end when it is made
                BadCall.refused("reserve(withHold(null))", s -> s.reserve(g.request().withHold(null)), NPE,
                        "ttl must not be null"),
                BadCall.refused("reserve(withHold(zero))", s -> s.reserve(g.request().withHold(Duration.ZERO)), IAE,
                        "ttl must be positive, was PT0S"),
                BadCall.refused("reserve(withHold(-1 s))", s -> s.reserve(g.request().withHold(Duration.ofSeconds(-1))),
                        IAE, "ttl must be positive, was PT-1S"),
                BadCall.refused("reserve(withHold(past the year 9999))",
                        s -> s.reserve(g.request().withHold(Duration.ofDays(366L * 8000))), IAE, "is past the latest expiry"),
                BadCall.refused("reserve(withHold(Long.MAX_VALUE seconds))",
                        s -> s.reserve(g.request().withHold(Duration.ofSeconds(Long.MAX_VALUE))), IAE,
                        "is past the latest expiry"),
                // confirm and extend
                BadCall.refused("confirm(0)", s -> s.confirm(0), IAE, "reservationId must be positive, was 0"),
                BadCall.refused("confirm(Long.MIN_VALUE)", s -> s.confirm(Long.MIN_VALUE), IAE,
                        "reservationId must be positive, was -9223372036854775808"),
                BadCall.refused("extend(-1, 1 min)", s -> s.extend(-1, Duration.ofMinutes(1)), IAE,
                        "reservationId must be positive, was -1"),
                BadCall.refused("extend(hold, null)", s -> s.extend(g.hold(), null), NPE, "ttl must not be null"),
                BadCall.refused("extend(hold, zero)", s -> s.extend(g.hold(), Duration.ZERO), IAE,
                        "ttl must be positive, was PT0S"),
                BadCall.refused("extend(hold, past the year 9999)", s -> s.extend(g.hold(), Duration.ofDays(366L * 8000)),
                        IAE, "is past the latest expiry"),
                BadCall.answered("confirm(an id never issued)", s -> s.confirm(NEVER_ISSUED), HoldStatus.UNKNOWN_RESERVATION),
                BadCall.answered("extend(an id never issued, 1 min)", s -> s.extend(NEVER_ISSUED, Duration.ofMinutes(1)),
                        HoldStatus.UNKNOWN_RESERVATION),
                BadCall.answered("confirm(an id already released)", s -> s.confirm(g.released()), HoldStatus.RELEASED),
                BadCall.answered("extend(a permanent reservation, 1 min)", s -> s.extend(g.live(), Duration.ofMinutes(1)),
                        HoldStatus.ALREADY_CONFIRMED),
                // limits per holder
                BadCall.refused("limitPerHolder(null, 2)", s -> s.limitPerHolder(null, 2), NPE, "resourceId must not be null"),
                BadCall.refused("limitPerHolder(\"\", 2)", s -> s.limitPerHolder("", 2), IAE, "resourceId must not be blank"),
                BadCall.refused("limitPerHolder(existing, 0)", s -> s.limitPerHolder(e, 0), IAE,
                        "maxUnits must be positive (Long.MAX_VALUE for no limit), was 0"),
                BadCall.refused("limitPerHolder(existing, Long.MIN_VALUE)", s -> s.limitPerHolder(e, Long.MIN_VALUE), IAE,
                        "maxUnits must be positive (Long.MAX_VALUE for no limit), was -9223372036854775808"),
                BadCall.refused("limitPerHolder(unknown, 2)", s -> s.limitPerHolder(u, 2), IAE,
                        "resourceId '" + u + "' is not defined"),
                BadCall.refused("limitPerHolder(unknown, Long.MAX_VALUE)", s -> s.limitPerHolder(u, Long.MAX_VALUE), IAE,
                        "resourceId '" + u + "' is not defined"),
                // orders: every line is checked before the first is written
                BadCall.refused("reserveAll(null)", s -> s.reserveAll(null), NPE, "lines must not be null"),
                BadCall.refused("reserveAll(no lines)", s -> s.reserveAll(List.of()), IAE,
                        "lines must not be empty: an order has at least one line"),
                BadCall.refused("reserveAll(a null line after a good one)",
                        s -> s.reserveAll(java.util.Arrays.asList(g.request(), null)), NPE, "lines[1] must not be null"),
                BadCall.refused("reserveAll(MAX_LINES + 1 lines)",
                        s -> s.reserveAll(java.util.Collections.nCopies(OrderResult.MAX_LINES + 1, g.request())), IAE,
                        "lines must be at most " + OrderResult.MAX_LINES + ", was " + (OrderResult.MAX_LINES + 1)),
                BadCall.refused("reserveAll(two lines with one key)",
                        s -> s.reserveAll(List.of(g.request().withIdempotencyKey("twice"), g.request().withIdempotencyKey("twice"))),
                        IAE, "lines[0] and lines[1] carry the same idempotency key 'twice'"),
                BadCall.refused("reserveAll(a good line, then a hold past the year 9999)",
                        s -> s.reserveAll(List.of(g.request(), g.request().withHold(Duration.ofDays(366L * 8000)))), IAE,
                        "is past the latest expiry"),
                BadCall.answered("reserveAll(a good line, then an unknown resource)",
                        s -> s.reserveAll(List.of(g.request(), ReservationRequest.of(u, "h"))).status(), Status.UNKNOWN_RESOURCE),
                BadCall.answered("reserveAll(the existing key with other lines)",
                        s -> s.reserveAll(List.of(g.request().withIdempotencyKey(g.key()), ReservationRequest.of(e, "h"))).status(),
                        Status.IDEMPOTENCY_KEY_CONFLICT));
    }

    /** A JDBI strategy and the Jdbi its tables are on. */
    record Jdbis(JdbiReservationStrategy strategy, Jdbi jdbi) {}

    /** The calls only JDBI strategies have: the caller's handle. */
    static List<BadCall<Jdbis>> handleCalls(Given g) {
        String e = g.existing();
        return List.of(
                BadCall.<Jdbis>refused("reserve(null handle, request)", j -> j.strategy().reserve(null, g.request()),
                        NPE, "handle must not be null"),
                BadCall.refused("reserve(handle, null)",
                        j -> j.jdbi().useTransaction(h -> j.strategy().reserve(h, null)), NPE, "request must not be null"),
                BadCall.refused("reserve(closed handle, request)", j -> j.strategy().reserve(closed(j), g.request()),
                        IAE, "handle is closed"),
                BadCall.answered("reserve(handle, quantity Integer.MAX_VALUE)",
                        j -> j.jdbi().inTransaction(h -> j.strategy().reserve(h,
                                g.request().withQuantity(Integer.MAX_VALUE)).status()),
                        Status.INSUFFICIENT_CAPACITY),
                BadCall.refused("release(null handle, live)", j -> j.strategy().release(null, g.live()), NPE,
                        "handle must not be null"),
                BadCall.refused("release(handle, 0)", j -> j.jdbi().useTransaction(h -> j.strategy().release(h, 0)),
                        IAE, "reservationId must be positive, was 0"),
                BadCall.refused("release(closed handle, live)", j -> j.strategy().release(closed(j), g.live()), IAE,
                        "handle is closed"),
                BadCall.answered("release(handle, an id never issued)",
                        j -> j.jdbi().inTransaction(h -> j.strategy().release(h, NEVER_ISSUED)), false),
                BadCall.answered("release(handle, an id already released)",
                        j -> j.jdbi().inTransaction(h -> j.strategy().release(h, g.released())), false),
                BadCall.refused("confirm(null handle, hold)", j -> j.strategy().confirm(null, g.hold()), NPE,
                        "handle must not be null"),
                BadCall.refused("confirm(closed handle, hold)", j -> j.strategy().confirm(closed(j), g.hold()), IAE,
                        "handle is closed"),
                BadCall.refused("confirm(handle, 0)", j -> j.jdbi().useTransaction(h -> j.strategy().confirm(h, 0)),
                        IAE, "reservationId must be positive, was 0"),
                BadCall.answered("confirm(handle, an id never issued)",
                        j -> j.jdbi().inTransaction(h -> j.strategy().confirm(h, NEVER_ISSUED)), HoldStatus.UNKNOWN_RESERVATION),
                BadCall.refused("reserve(handle, withHold(past the year 9999))",
                        j -> j.jdbi().useTransaction(h -> j.strategy().reserve(h,
                                g.request().withHold(Duration.ofDays(366L * 8000)))), IAE, "is past the latest expiry"),
                BadCall.refused("adjust(null handle, existing, 1)", j -> j.strategy().adjust(null, e, 1), NPE,
                        "handle must not be null"),
                BadCall.refused("adjust(closed handle, existing, 1)", j -> j.strategy().adjust(closed(j), e, 1), IAE,
                        "handle is closed"),
                BadCall.refused("adjust(handle, existing, Long.MAX_VALUE)",
                        j -> j.jdbi().useTransaction(h -> j.strategy().adjust(h, e, Long.MAX_VALUE)), ISE,
                        "the capacity 3 of '" + e + "' plus 9223372036854775807 overflows"),
                BadCall.refused("adjust(handle, unknown, 1)",
                        j -> j.jdbi().useTransaction(h -> j.strategy().adjust(h, g.unknown(), 1)), IAE,
                        "resourceId '" + g.unknown() + "' is not defined"));
    }

    /** Options and factories: refused before anything touches the database. */
    static List<BadCall<Jdbi>> setupCalls() {
        StrategyKind kind = StrategyKind.CONDITIONAL_UPDATE;
        String identifier = "tablePrefix must be a plain SQL identifier";
        return List.of(
                BadCall.<Jdbi>refused("JdbiStrategies.of(null, jdbi)", jdbi -> JdbiStrategies.of(null, jdbi), NPE,
                        "kind must not be null"),
                BadCall.refused("JdbiStrategies.of(kind, (Jdbi) null)", jdbi -> JdbiStrategies.of(kind, (Jdbi) null), NPE,
                        "jdbi must not be null"),
                BadCall.refused("JdbiStrategies.of(kind, (DataSource) null)",
                        jdbi -> JdbiStrategies.of(kind, (DataSource) null), NPE, "dataSource must not be null"),
                BadCall.refused("JdbiStrategies.of(null, dataSource, options)",
                        jdbi -> JdbiStrategies.of(null, new JdbcDataSource(), StrategyOptions.defaults()), NPE,
                        "kind must not be null"),
                BadCall.refused("JdbiStrategies.of(kind, dataSource, null)",
                        jdbi -> JdbiStrategies.of(kind, new JdbcDataSource(), null), NPE, "options must not be null"),
                BadCall.refused("JdbiStrategies.of(kind, jdbi, null)", jdbi -> JdbiStrategies.of(kind, jdbi, null), NPE,
                        "options must not be null"),
                BadCall.refused("JdbiStrategies.of(IN_MEMORY, jdbi)",
                        jdbi -> JdbiStrategies.of(StrategyKind.IN_MEMORY, jdbi), IAE, "kind IN_MEMORY is not a JDBI strategy"),
                BadCall.refused("CapacitySchema.install(null)", jdbi -> CapacitySchema.install(null), NPE,
                        "jdbi must not be null"),
                BadCall.refused("CapacitySchema.install(jdbi, null)", jdbi -> CapacitySchema.install(jdbi, null), NPE,
                        "options must not be null"),
                BadCall.refused("tablePrefix(null)", jdbi -> withPrefix(jdbi, null), NPE, "tablePrefix must not be null"),
                BadCall.refused("tablePrefix(\"x; DROP TABLE y; --\")", jdbi -> withPrefix(jdbi, "x; DROP TABLE y; --"),
                        IAE, identifier + " (letters, digits, underscores; not starting with a digit), was 'x; DROP TABLE y; --'"),
                BadCall.refused("tablePrefix with a single quote", jdbi -> withPrefix(jdbi, "shop'--_"), IAE, identifier),
                BadCall.refused("tablePrefix in double quotes", jdbi -> withPrefix(jdbi, "\"shop_\""), IAE, identifier),
                BadCall.refused("tablePrefix with a space", jdbi -> withPrefix(jdbi, "shop capacity_"), IAE, identifier),
                BadCall.refused("tablePrefix \"\"", jdbi -> withPrefix(jdbi, ""), IAE, identifier),
                BadCall.refused("tablePrefix starting with a digit", jdbi -> withPrefix(jdbi, "1shop_"), IAE, identifier),
                BadCall.refused("tablePrefix qualified by a schema", jdbi -> withPrefix(jdbi, "public.shop_"), IAE,
                        identifier),
                BadCall.refused("tablePrefix with a non-ASCII letter", jdbi -> withPrefix(jdbi, "caf\u00E9_"), IAE,
                        identifier),
                BadCall.refused("tablePrefix of 31 characters", jdbi -> withPrefix(jdbi, "p".repeat(31)), IAE,
                        "tablePrefix must be at most 30 characters, was 31"),
                BadCall.refused("maxAttempts(0)", jdbi -> StrategyOptions.builder().maxAttempts(0), IAE,
                        "maxAttempts must be positive, was 0"),
                BadCall.refused("maxAttempts(-1)", jdbi -> StrategyOptions.builder().maxAttempts(-1), IAE,
                        "maxAttempts must be positive, was -1"),
                BadCall.refused("maxRetryTime(0)", jdbi -> StrategyOptions.builder().maxRetryTime(Duration.ZERO), IAE,
                        "maxRetryTime must be positive, was PT0S"),
                BadCall.refused("maxRetryTime(-1 s)", jdbi -> StrategyOptions.builder().maxRetryTime(Duration.ofSeconds(-1)),
                        IAE, "maxRetryTime must be positive, was PT-1S"),
                BadCall.refused("maxRetryTime(null)", jdbi -> StrategyOptions.builder().maxRetryTime(null), NPE,
                        "maxRetryTime must not be null"),
                BadCall.refused("maxRetryTime(longer than a long of nanoseconds)",
                        jdbi -> StrategyOptions.builder().maxRetryTime(Duration.ofSeconds(Long.MAX_VALUE)), IAE,
                        "maxRetryTime must be at most"),
                BadCall.refused("backoff(-1 ms, 5 ms)",
                        jdbi -> StrategyOptions.builder().backoff(Duration.ofMillis(-1), Duration.ofMillis(5)), IAE,
                        "initialBackoff must be positive, was PT-0.001S"),
                BadCall.refused("backoff(10 ms, 5 ms)",
                        jdbi -> StrategyOptions.builder().backoff(Duration.ofMillis(10), Duration.ofMillis(5)), IAE,
                        "initialBackoff must not exceed maxBackoff, was PT0.01S > PT0.005S"),
                BadCall.refused("backoff(1 ms, null)", jdbi -> StrategyOptions.builder().backoff(Duration.ofMillis(1), null),
                        NPE, "maxBackoff must not be null"),
                BadCall.refused("lockTimeout(-1 s)", jdbi -> StrategyOptions.builder().lockTimeout(Duration.ofSeconds(-1)),
                        IAE, "lockTimeout must be positive, was PT-1S"),
                BadCall.refused("lockTimeout(500 us)", jdbi -> StrategyOptions.builder().lockTimeout(Duration.ofNanos(500_000)),
                        IAE, "lockTimeout must be at least 1 ms, was PT0.0005S"),
                BadCall.refused("lockTimeout(30 days)", jdbi -> StrategyOptions.builder().lockTimeout(Duration.ofDays(30)),
                        IAE, "lockTimeout must be at most 2147483647 ms, was PT720H"),
                BadCall.refused("clock(null)", jdbi -> StrategyOptions.builder().clock(null), NPE, "clock must not be null"),
                BadCall.refused("listener(null)", jdbi -> StrategyOptions.builder().listener(null), NPE,
                        "listener must not be null"),
                BadCall.refused("StrategyOptions.from(null)", jdbi -> StrategyOptions.from(null), NPE,
                        "base must not be null"));
    }

    static Stream<StrategyFixture> fixtures() {
        return StrategyFixture.all();
    }

    static Stream<StrategyFixture> databaseFixtures() {
        return StrategyFixture.onDatabases();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("fixtures")
    void everyBadCall_isRefusedNamingTheProblemOrAnsweredAsDocumented_andWritesNothing(StrategyFixture fixture) {
        ReservationStrategy strategy = fixture.strategy(options());
        Given given = Given.on(strategy);
        List<BadCall<ReservationStrategy>> calls = strategyCalls(given);
        Map<String, List<String>> before = fixture.hasDatabase() ? snapshot(fixture.database()) : null;
        if (before != null) {
            // the snapshot holds every column, the ones no call should touch included
            assertThat(before.get(PREFIX + "resource")).isNotEmpty().allMatch(row -> row.contains("version="));
            assertThat(before.get(PREFIX + "reservation")).isNotEmpty()
                    .allMatch(row -> row.contains("released_at=") && row.contains("created_at="));
        }

        SoftAssertions.assertSoftly(softly -> calls.forEach(bad -> bad.check(softly, strategy)));

        if (fixture.hasDatabase()) {
            assertThat(snapshot(fixture.database())).isEqualTo(before);
        }
        assertThat(strategy.availability(given.existing())).contains(new Availability(given.existing(), 3, 2, 1));
        assertThat(strategy.availability(given.fresh())).isEmpty();
        assertThat(strategy.availability(given.unknown())).isEmpty();
        assertThat(strategy.release(given.live())).as("the live reservation is still live").isTrue();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("databaseFixtures")
    void everyBadCallWithAHandle_isRefusedOrAnsweredAsDocumented_andWritesNothing(StrategyFixture fixture) {
        JdbiReservationStrategy strategy = (JdbiReservationStrategy) fixture.strategy(options());
        Given given = Given.on(strategy);
        Jdbis target = new Jdbis(strategy, fixture.database().jdbi(PREFIX));
        Map<String, List<String>> before = snapshot(fixture.database());

        SoftAssertions.assertSoftly(softly -> handleCalls(given).forEach(bad -> bad.check(softly, target)));

        assertThat(snapshot(fixture.database())).isEqualTo(before);
        assertThat(strategy.availability(given.existing())).contains(new Availability(given.existing(), 3, 2, 1));
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(TestDatabase.class)
    void everyBadOptionOrFactoryArgument_isRefusedBeforeTheDatabaseIsTouched(TestDatabase database) {
        Jdbi jdbi = database.jdbi(PREFIX);
        Map<String, List<String>> before = snapshot(database);
        List<String> tables = tableNames(jdbi);

        SoftAssertions.assertSoftly(softly -> setupCalls().forEach(bad -> bad.check(softly, jdbi)));

        assertThat(snapshot(database)).isEqualTo(before);
        assertThat(tableNames(jdbi)).as("no table was created or dropped").isEqualTo(tables);
    }

    @Test
    void theCatalogue_holdsAtLeastThirtyDistinctBadCalls() {
        Given given = new Given("existing", "key", 1, 2, 3, "unknown", "fresh");
        List<String> descriptions = new ArrayList<>();
        strategyCalls(given).forEach(call -> descriptions.add(call.description()));
        handleCalls(given).forEach(call -> descriptions.add(call.description()));
        setupCalls().forEach(call -> descriptions.add(call.description()));

        assertThat(strategyCalls(given)).hasSizeGreaterThanOrEqualTo(30);
        assertThat(descriptions).doesNotHaveDuplicates().hasSizeGreaterThanOrEqualTo(90);
    }

    // ---- odd ids that are accepted: stored and read back exactly

    /** Ids that are valid though odd: each must come back from the database exactly as given. */
    static List<String> oddButValidIds() {
        return List.of(
                "\u202Eevil-rtl-override",
                "zero\u200Bwidth\u200Djoiner",
                "bom\uFEFFinside",
                "emoji-\uD83C\uDFAB-\uD83D\uDC69\u200D\uD83D\uDCBB",
                "caf\u00E9",          // é composed (NFC)
                "cafe\u0301",         // é decomposed (NFD): a different id
                "'; DROP TABLE " + PREFIX + "resource; --",
                "  padded  ",
                "%_\\ like wildcards",
                "CASE",
                "case",
                "x".repeat(200),
                "\uD83C\uDFAB".repeat(200)); // 200 code points, 400 UTF-16 chars
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("fixtures")
    void oddButValidIds_areStoredAndReadBackExactly(StrategyFixture fixture) {
        ReservationStrategy strategy = fixture.strategy(options());
        String suffix = ResourceIds.newId("");
        List<String> ids = oddButValidIds().stream().map(id -> unique(id, suffix)).toList();

        for (int i = 0; i < ids.size(); i++) {
            // a different capacity per id: a database that folded two ids into one would refuse the define
            strategy.define(ids.get(i), i + 1);
        }
        for (int i = 0; i < ids.size(); i++) {
            String id = ids.get(i);
            ReservationRequest request = new ReservationRequest(id, id, 1, id);
            ReservationResult reserved = strategy.reserve(request);
            ReservationResult replayed = strategy.reserve(request);

            assertThat(reserved.status()).as(id).isEqualTo(Status.RESERVED);
            assertThat(replayed.status()).as(id).isEqualTo(Status.REPLAYED);
            Reservation back = replayed.reservation();
            assertThat(List.of(back.resourceId(), back.holderId(), back.idempotencyKey())).as(id)
                    .containsOnly(id);
            assertThat(strategy.availability(id)).as(id).contains(new Availability(id, i + 1, 1));
            if (fixture.hasDatabase()) {
                Jdbi jdbi = fixture.database().jdbi(PREFIX);
                // CONCAT, not ||: that is OR on MariaDB
                String stored = jdbi.withHandle(h -> h.createQuery("SELECT CONCAT(resource_id, '|', holder_id, '|', "
                                + "idempotency_key) FROM " + PREFIX + "reservation WHERE id = :id")
                        .bind("id", back.id()).mapTo(String.class).one());
                assertThat(stored).as(id).isEqualTo(id + "|" + id + "|" + id);
            }
        }
    }

    /**
     * Ids that only a padding, case- or accent-folding collation would confuse (MariaDB's and
     * MySQL's default ones do): each is an id of its own, with its own capacity, holder and key.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("fixtures")
    void idsThatDifferOnlyInCaseAccentOrTrailingSpaces_areDifferentIds(StrategyFixture fixture) {
        ReservationStrategy strategy = fixture.strategy(options());
        String base = ResourceIds.newId("pad");
        List<String> ids = List.of(base, base + " ", base + "  ", base.toUpperCase(Locale.ROOT), base + "e", base + "\u00E9");

        for (int i = 0; i < ids.size(); i++) {
            strategy.define(ids.get(i), i + 1);
        }
        for (int i = 0; i < ids.size(); i++) {
            String id = ids.get(i);
            ReservationResult reserved = strategy.reserve(new ReservationRequest(id, id, 1, id));

            assertThat(reserved.status()).as("'%s'", id).isEqualTo(Status.RESERVED);
            assertThat(List.of(reserved.reservation().resourceId(), reserved.reservation().holderId(),
                    reserved.reservation().idempotencyKey())).as("'%s'", id).containsOnly(id);
            assertThat(strategy.availability(id)).as("'%s'", id).contains(new Availability(id, i + 1, 1));
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("fixtures")
    void theLargestCapacity_isAccepted_andAdjustingPastItIsRefused(StrategyFixture fixture) {
        ReservationStrategy strategy = fixture.strategy(options());
        String id = ResourceIds.newId("huge");
        // unique-slots writes a row per unit: a huge quantity is a huge insert, not a bad input
        int quantity = fixture.kind() == StrategyKind.UNIQUE_SLOTS ? 2 : Integer.MAX_VALUE;
        strategy.define(id, Long.MAX_VALUE);

        assertThat(strategy.reserve(ReservationRequest.of(id, "h").withQuantity(quantity)).status())
                .isEqualTo(Status.RESERVED);
        assertThatThrownBy(() -> strategy.adjust(id, 1)).isInstanceOf(ISE)
                .hasMessage("the capacity 9223372036854775807 of '" + id + "' plus 1 overflows");
        assertThat(strategy.availability(id)).contains(new Availability(id, Long.MAX_VALUE, quantity));
    }

    /** {@code id} ending with {@code suffix}, cut to at most 200 code points. */
    private static String unique(String id, String suffix) {
        int room = 200 - suffix.length();
        String head = id.codePointCount(0, id.length()) <= room ? id : id.substring(0, id.offsetByCodePoints(0, room));
        return head + suffix;
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(TestDatabase.class)
    void theLongestLockTimeout_isAcceptedByEveryDatabase(TestDatabase database) {
        StrategyOptions options = StrategyOptions.from(options()).lockTimeout(StrategyOptions.MAX_LOCK_TIMEOUT).build();
        String id = ResourceIds.newId("wait");

        for (StrategyKind kind : List.of(StrategyKind.PESSIMISTIC_LOCK, StrategyKind.UNIQUE_SLOTS)) {
            JdbiReservationStrategy strategy = JdbiStrategies.of(kind, database.jdbi(PREFIX), options);
            strategy.define(id + kind, 1);

            assertThat(strategy.reserve(ReservationRequest.of(id + kind, "h")).status()).as(kind.name())
                    .isEqualTo(Status.RESERVED);
        }
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(TestDatabase.class)
    void anUppercaseTablePrefix_isAcceptedAndNamesTheSameTablesAsItsLowercase(TestDatabase database) {
        StrategyOptions upper = StrategyOptions.builder().tablePrefix("BadInput_Case_").build();
        StrategyOptions lower = StrategyOptions.builder().tablePrefix("badinput_case_").build();
        Jdbi jdbi = database.jdbi("badinput_case_");
        CapacitySchema.install(jdbi, upper);
        String id = ResourceIds.newId("case");

        JdbiStrategies.of(StrategyKind.CONDITIONAL_UPDATE, jdbi, upper).define(id, 7);

        assertThat(JdbiStrategies.of(StrategyKind.CONDITIONAL_UPDATE, jdbi, lower).availability(id))
                .contains(new Availability(id, 7, 0));
    }

    // ---- a closed strategy

    @ParameterizedTest(name = "{0}")
    @EnumSource(TestDatabase.class)
    void aClosedCombiningStrategy_refusesReservationsNamingItself_andWritesNothing(TestDatabase database) {
        JdbiReservationStrategy strategy = (JdbiReservationStrategy) StrategyFixture
                .of(StrategyKind.COMBINING, database).strategy(options());
        Given given = Given.on(strategy);
        Jdbi jdbi = database.jdbi(PREFIX);
        strategy.close();
        strategy.close();
        Map<String, List<String>> before = snapshot(database);

        assertThatThrownBy(() -> strategy.reserve(given.request()))
                .isInstanceOf(ISE).hasMessageContaining("the combining strategy is closed");
        assertThatThrownBy(() -> jdbi.useTransaction(h -> strategy.reserve(h, given.request())))
                .isInstanceOf(ISE).hasMessageContaining("the combining strategy is closed");

        assertThat(snapshot(database)).isEqualTo(before);
        // releases, reads and capacity changes go on after close: units can still be handed back
        assertThat(strategy.availability(given.existing())).contains(new Availability(given.existing(), 3, 2, 1));
        assertThat(strategy.release(given.live())).isTrue();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("databaseFixtures")
    void close_onAStrategyThatHoldsNothingInMemory_doesNothing(StrategyFixture fixture) {
        if (fixture.kind() == StrategyKind.COMBINING) {
            return;
        }
        JdbiReservationStrategy strategy = (JdbiReservationStrategy) fixture.strategy(options());
        String id = ResourceIds.newId("closed");
        strategy.define(id, 1);

        strategy.close();

        assertThat(strategy.reserve(ReservationRequest.of(id, "h")).status()).isEqualTo(Status.RESERVED);
    }

    // ---- helpers

    private static StrategyOptions options() {
        return StrategyOptions.builder().tablePrefix(PREFIX).build();
    }

    private static Object withPrefix(Jdbi jdbi, String prefix) {
        StrategyOptions options = StrategyOptions.builder().tablePrefix(prefix).build();
        CapacitySchema.install(jdbi, options);
        return JdbiStrategies.of(StrategyKind.CONDITIONAL_UPDATE, jdbi, options);
    }

    private static Handle closed(Jdbis target) {
        Handle handle = target.jdbi().open();
        handle.close();
        return handle;
    }

    private static List<String> tableNames(Jdbi jdbi) {
        return jdbi.withHandle(h -> h.createQuery("SELECT LOWER(table_schema || '.' || table_name) FROM "
                + "information_schema.tables ORDER BY 1").mapTo(String.class).list());
    }

    private static Map<String, List<String>> snapshot(TestDatabase database) {
        return TableSnapshot.of(database.jdbi(PREFIX), PREFIX);
    }
}
