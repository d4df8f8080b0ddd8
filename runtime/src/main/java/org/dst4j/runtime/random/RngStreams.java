package org.dst4j.runtime.random;

import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Named random streams derived from one master seed: {@code stream("init")}, {@code stream("shuffle")},
 * {@code stream("dropout")}, {@code stream("evolution")}, … Each stream depends only on the master seed
 * and its name, so adding a consumer never shifts the draws of the others.
 */
public final class RngStreams {
    private final long seed;
    private final Map<String, RandomStream> streams = new LinkedHashMap<>();

    /** Streams derived from {@code seed}, none created yet. */
    public RngStreams(long seed) {
        this.seed = seed;
    }

    /** The master seed every stream is derived from. */
    public long seed() {
        return seed;
    }

    /** The stream of that name, created on first use and the same object afterwards. */
    public RandomStream stream(String name) {
        return streams.computeIfAbsent(name, n -> new RandomStream(RandomStream.mix(seed) ^ nameHash(n)));
    }

    /** The streams created so far, by name (for checkpoints). */
    public Map<String, RandomStream> all() {
        return Collections.unmodifiableMap(streams);
    }

    // FNV-1a over UTF-8, then mixed: fixed by the name alone, on every JVM.
    static long nameHash(String name) {
        long h = 0xcbf29ce484222325L;
        for (byte b : name.getBytes(StandardCharsets.UTF_8)) {
            h ^= (b & 0xff);
            h *= 0x100000001b3L;
        }
        return RandomStream.mix(h);
    }
}
