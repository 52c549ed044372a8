package dev.capacity;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

final class ReservationRequestTest {

    @Test
    void of_givesOneUnitWithoutKey() {
        ReservationRequest request = ReservationRequest.of("run", "user");

        assertThat(request).isEqualTo(new ReservationRequest("run", "user", 1, null));
        assertThat(request.withQuantity(3).withIdempotencyKey("k"))
                .isEqualTo(new ReservationRequest("run", "user", 3, "k"));
    }

    @Test
    void constructor_badIds_areRejectedNamingTheArgument() {
        assertThatThrownBy(() -> ReservationRequest.of(null, "u"))
                .isInstanceOf(NullPointerException.class).hasMessage("resourceId must not be null");
        assertThatThrownBy(() -> ReservationRequest.of("run", null))
                .isInstanceOf(NullPointerException.class).hasMessage("holderId must not be null");
        assertThatThrownBy(() -> ReservationRequest.of("", "u"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("resourceId must not be blank");
        assertThatThrownBy(() -> ReservationRequest.of("run", "  "))
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("holderId must not be blank");
        assertThatThrownBy(() -> ReservationRequest.of("r".repeat(201), "u"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("resourceId must be at most 200 characters, was 201");
        assertThatThrownBy(() -> ReservationRequest.of("run", "user\n1"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("holderId must not contain control characters, found U+000A at index 4");
        assertThatThrownBy(() -> ReservationRequest.of("run\uD800", "u"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("resourceId")
                .hasMessageContaining("unpaired surrogate");
    }

    @Test
    void constructor_idsWithNothingVisible_areBlank() {
        for (String invisible : new String[] {"\u00A0", "\u2003\t", "\u200B", "\uFEFF\u200D", "\u202E"}) {
            assertThatThrownBy(() -> ReservationRequest.of(invisible, "u")).as(invisible)
                    .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("resourceId must not be blank");
        }
    }

    @Test
    void constructor_charactersOutsideTheBasicPlane_areJudgedWhole() {
        // each is one code point written as two chars: the blank check must judge the code point
        assertThat(ReservationRequest.of("\u2003\uD83C\uDFAB", "\uD83D\uDE00").resourceId()).isEqualTo("\u2003\uD83C\uDFAB");
        // U+E0020 TAG SPACE is a format character: invisible, though neither of its chars is
        assertThatThrownBy(() -> ReservationRequest.of("run", "\uDB40\uDC20 "))
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("holderId must not be blank");
    }

    @Test
    void constructor_invisibleCharactersInsideAVisibleId_areKept() {
        String id = "zero\u200Bwidth\u202Eevil\u00A0";

        assertThat(ReservationRequest.of(id, "u").resourceId()).isEqualTo(id);
    }

    @Test
    void constructor_idsOfExactly200CodePoints_areAccepted() {
        String emoji = "\uD83C\uDFAB"; // one code point, two chars
        ReservationRequest request = ReservationRequest.of(emoji.repeat(200), "r".repeat(200));

        assertThat(request.resourceId().codePointCount(0, request.resourceId().length())).isEqualTo(200);
    }

    @Test
    void quantity_zeroOrNegative_isRejectedNamingIt() {
        ReservationRequest request = ReservationRequest.of("run", "u");

        assertThatThrownBy(() -> request.withQuantity(0))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("quantity must be positive, was 0");
        assertThatThrownBy(() -> request.withQuantity(-5))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("quantity must be positive, was -5");
    }

    @Test
    void idempotencyKey_badValues_areRejectedNamingIt() {
        ReservationRequest request = ReservationRequest.of("run", "u");

        assertThatThrownBy(() -> request.withIdempotencyKey(null))
                .isInstanceOf(NullPointerException.class).hasMessage("idempotencyKey must not be null");
        assertThatThrownBy(() -> request.withIdempotencyKey(" "))
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("idempotencyKey must not be blank");
        assertThatThrownBy(() -> request.withIdempotencyKey("k".repeat(201)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("idempotencyKey");
    }

    @Test
    void matches_comparesResourceHolderAndQuantity() {
        ReservationRequest request = new ReservationRequest("run", "u", 2, "k");
        java.time.Instant now = java.time.Instant.now();

        assertThat(request.matches(new Reservation(1, "run", "u", 2, "k", now))).isTrue();
        assertThat(request.matches(new Reservation(1, "run", "u", 3, "k", now))).isFalse();
        assertThat(request.matches(new Reservation(1, "run", "v", 2, "k", now))).isFalse();
        assertThat(request.matches(new Reservation(1, "other", "u", 2, "k", now))).isFalse();
    }
}
