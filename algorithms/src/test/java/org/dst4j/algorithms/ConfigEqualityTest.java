package org.dst4j.algorithms;

import static org.assertj.core.api.Assertions.assertThat;

import org.dst4j.algorithms.freetickets.FreeTicketsConfig;
import org.dst4j.algorithms.freetickets.FreeTicketsConfig.Variant;
import org.dst4j.algorithms.neurotrails.NeuroTrailsConfig;
import org.dst4j.algorithms.quickselection.QuickSelectionConfig;
import org.dst4j.algorithms.set.SetConfig;
import org.dst4j.algorithms.spacenet.SpaceNetConfig;
import org.junit.jupiter.api.Test;

/**
 * Configs are values: two built alike are equal, hash alike and print alike, with their arrays' contents
 * shown; one array element of difference makes them differ.
 */
class ConfigEqualityTest {

    // An identity hash like [I@1b6d3586, as an array prints by default.
    static final String ARRAY_IDENTITY = "\\[+[A-Z][\\w.$;]*@[0-9a-f]+";

    static void sameValue(Object a, Object b, String... shown) {
        assertThat(a).isNotSameAs(b).isEqualTo(b).hasSameHashCodeAs(b).hasToString(b.toString());
        assertThat(a.toString()).contains(shown).doesNotContainPattern(ARRAY_IDENTITY);
    }

    @Test
    void setConfig() {
        SetConfig c = SetConfig.defaults();
        sameValue(c, SetConfig.defaults(), "hidden=[1000, 1000, 1000]", "zeta=0.3");
        assertThat(c).isEqualTo(c);
        assertThat(c).isNotEqualTo(c.withHidden(1000, 1000, 999)).isNotEqualTo(c.withThreads(c.threads() + 1));
    }

    @Test
    void freeTicketsConfig() {
        FreeTicketsConfig c = FreeTicketsConfig.defaults(Variant.DST);
        sameValue(c, FreeTicketsConfig.defaults(Variant.DST), "hidden=[1000, 1000]", "variant=DST");
        assertThat(c).isNotEqualTo(c.withHidden(1000, 999)).isNotEqualTo(FreeTicketsConfig.defaults(Variant.EDST));
        // EDST's map leaves epochs out; the config still tells them apart.
        FreeTicketsConfig edst = FreeTicketsConfig.defaults(Variant.EDST);
        assertThat(edst).isNotEqualTo(edst.withEpochs(edst.epochs() + 1));
    }

    @Test
    void neuroTrailsConfig() {
        NeuroTrailsConfig c = NeuroTrailsConfig.defaults();
        sameValue(c, NeuroTrailsConfig.defaults(), "hidden=[1000, 1000]", "heads=3");
        assertThat(c).isNotEqualTo(c.withHidden(1000, 999));
    }

    @Test
    void spaceNetConfig() {
        SpaceNetConfig c = SpaceNetConfig.defaults();
        sameValue(c, SpaceNetConfig.defaults(), "hidden=[400, 400]", "connectionsPerTask=[10000, 1640, 80]");
        assertThat(c).isNotEqualTo(c.withHidden(new int[] {400, 400}, new int[] {10000, 1640, 79}))
                .isNotEqualTo(c.withHidden(new int[] {400, 399}, new int[] {10000, 1640, 80}));
    }

    @Test
    void quickSelectionConfig() {
        QuickSelectionConfig c = QuickSelectionConfig.defaults();
        sameValue(c, QuickSelectionConfig.defaults(), "k=50", "hidden=1000");
        assertThat(c).isNotEqualTo(c.withK(49));
    }
}
