package org.dst4j.runtime.random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class RngStreamsTest {

    @Test
    void namedStreamsAreIndependentOfCreationOrder() {
        RngStreams a = new RngStreams(42);
        long shuffleFirst = a.stream("shuffle").nextLong();
        RngStreams b = new RngStreams(42);
        b.stream("init").nextLong();
        b.stream("dropout").nextLong();
        assertThat(b.stream("shuffle").nextLong()).isEqualTo(shuffleFirst);
        assertThat(new RngStreams(43).stream("shuffle").nextLong()).isNotEqualTo(shuffleFirst);
        assertThat(a.stream("init").nextLong()).isNotEqualTo(a.stream("dropout").nextLong());
    }

    @Test
    void stateRoundTripsForResume() {
        RandomStream s = new RandomStream(7);
        for (int i = 0; i < 10; i++) s.nextLong();
        long[] st = s.state();
        long next = s.nextLong();
        RandomStream t = new RandomStream(0);
        t.restore(st);
        assertThat(t.nextLong()).isEqualTo(next);
    }

    @Test
    void distributionsLookRight() {
        RandomStream s = new RandomStream(1);
        int n = 200_000;
        double sum = 0, sq = 0;
        int[] counts = new int[7];
        for (int i = 0; i < n; i++) {
            double g = s.nextGaussian();
            sum += g;
            sq += g * g;
            counts[s.nextInt(7)]++;
            float f = s.nextFloat();
            assertThat(f).isGreaterThanOrEqualTo(0f).isLessThan(1f);
        }
        assertThat(sum / n).isCloseTo(0, within(0.01));
        assertThat(sq / n).isCloseTo(1, within(0.02));
        for (int c : counts) assertThat((double) c / n).isCloseTo(1.0 / 7, within(0.005));
    }
}
