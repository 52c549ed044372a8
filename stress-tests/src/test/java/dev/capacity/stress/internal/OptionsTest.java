package dev.capacity.stress.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

import java.util.Map;

class OptionsTest {

    @Test
    void namesAndValues_inTheOrderGiven_theLaterOfTwoKept() {
        Map<String, String> options = Options.parse(
                new String[] {"--profile", "flows", "--holders", "10", "--profile", "holds"}, "profile", "holders", "out");

        assertThat(options).containsExactly(Map.entry("profile", "holds"), Map.entry("holders", "10"));
    }

    @Test
    void nothingGiven_isNoOptions() {
        assertThat(Options.parse(new String[0], "profile")).isEmpty();
    }

    @Test
    void aNameThisProgramDoesNotKnow_isRefusedWithTheKnownOnes() {
        assertThatThrownBy(() -> Options.parse(new String[] {"--profil", "flows"}, "profile", "out"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("unknown option --profil; known: --profile, --out");
    }

    @Test
    void aNameWithoutItsValue_isRefused() {
        assertThatThrownBy(() -> Options.parse(new String[] {"--out", "x.md", "--profile"}, "profile", "out"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("option --profile has no value");
    }

    @Test
    void aWordWhereANameBelongs_isRefused() {
        assertThatThrownBy(() -> Options.parse(new String[] {"profile", "flows"}, "profile"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("expected an option --name where 'profile' is; options: --profile");
    }
}
