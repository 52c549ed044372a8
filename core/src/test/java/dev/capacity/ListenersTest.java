package dev.capacity;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** {@link ReservationListener#all}: every event to each listener, in order, a failing one kept from the others. */
final class ListenersTest {

    /** Records the events it hears as "name event". */
    private static final class Heard implements ReservationListener {
        final String name;
        final List<String> events;

        Heard(String name, List<String> events) {
            this.name = name;
            this.events = events;
        }

        @Override
        public void onReserved(String strategy, ReservationRequest request, ReservationResult result) {
            events.add(name + " reserved");
        }

        @Override
        public void onReserveTimed(String strategy, ReservationRequest request, ReservationResult result, Duration took) {
            events.add(name + " timed");
        }

        @Override
        public void onSoldOut(String strategy, String resourceId) {
            events.add(name + " sold out " + resourceId);
        }

        @Override
        public void onBackInStock(String strategy, String resourceId) {
            events.add(name + " back " + resourceId);
        }

        @Override
        public void onReleased(String strategy, long reservationId) {
            events.add(name + " released");
        }
    }

    @Test
    void everyEvent_reachesEachListenerInOrder_pastOneThatThrows() {
        List<String> events = new CopyOnWriteArrayList<>();
        ReservationListener failing = new ReservationListener() {
            @Override
            public void onSoldOut(String strategy, String resourceId) {
                throw new IllegalStateException("this listener is broken");
            }
        };
        InMemoryStrategy strategy = new InMemoryStrategy(StrategyOptions.builder()
                .listener(ReservationListener.all(new Heard("metrics", events), failing, new Heard("mail", events))).build());
        strategy.define("drop", 1);

        long id = strategy.reserve(ReservationRequest.of("drop", "a")).reservation().id();
        strategy.release(id);

        assertThat(events).containsExactly("metrics sold out drop", "mail sold out drop", "metrics reserved",
                "mail reserved", "metrics timed", "mail timed", "metrics back drop", "mail back drop",
                "metrics released", "mail released");
    }

    @Test
    void everyEventOfTheInterface_isPassedOn() throws NoSuchMethodException {
        for (Method method : ReservationListener.class.getMethods()) {
            if (method.isDefault()) {
                Method passed = Listeners.class.getDeclaredMethod(method.getName(), method.getParameterTypes());
                assertThat(Modifier.isPublic(passed.getModifiers())).as(method.getName()).isTrue();
            }
        }
    }

    @Test
    void nulls_areRefusedByName() {
        assertThatThrownBy(() -> ReservationListener.all((ReservationListener[]) null))
                .isInstanceOf(NullPointerException.class).hasMessageContaining("listeners");
        assertThatThrownBy(() -> ReservationListener.all(ReservationListener.NONE, null))
                .isInstanceOf(NullPointerException.class).hasMessageContaining("listeners");
    }
}
