package org.dst4j.algorithms.freetickets;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.Random;
import org.dst4j.algorithms.Blobs;
import org.dst4j.algorithms.TrainingProgress;
import org.dst4j.algorithms.freetickets.FreeTicketsConfig.Variant;
import org.dst4j.nn.data.Dataset;
import org.dst4j.nn.data.DatasetSplit;
import org.dst4j.runtime.memory.OffHeap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Off-heap memory of a run that cannot get all it needs. */
class FreeTicketsMemoryTest {

    // With a validation split the run copies the training set into the samples trained on and those held out. Out of
    // off-heap memory part-way through those copies (the limit stepped through them), the copy already made is freed.
    @Test
    void aRunOutOfMemoryWhileHoldingOutItsValidationSamplesFreesTheCopiesItMade(@TempDir Path dir) throws Exception {
        Random r = new Random(3);
        long start = OffHeap.bytesInUse();
        try (Dataset train = Blobs.of("train", r, 96, 12, 2f)) {
            long trainBytes = OffHeap.bytesInUse() - start;
            try (DatasetSplit data = new DatasetSplit(train, Blobs.of("test", r, 40, 12, 2f))) {
                FreeTicketsConfig cfg = new FreeTicketsConfig(Variant.DST, 1, new int[] {10, 6}, 0.5, 1, 1, 1, 32, 0.05f, 0.9f, 1e-5f, 0f,
                        "relu", 0.3, 0.8, 1, "random", 5, 1, "constant", 0.25);
                long limit = OffHeap.limit(), before = OffHeap.bytesInUse();
                int refused = 0;
                try {
                    // The two copies together hold the training set's samples: past its size they are made.
                    for (long allowed = 16; allowed <= trainBytes + 64; allowed += 16) {
                        OffHeap.setLimit(before + allowed);
                        try {
                            FreeTickets.run(cfg, data, true, dir, new TrainingProgress() {});
                        } catch (OffHeap.LimitReached e) {
                            refused++;
                            assertThat(OffHeap.bytesInUse()).as("refused with %d bytes allowed", allowed).isEqualTo(before);
                        }
                    }
                } finally {
                    OffHeap.setLimit(limit);
                }
                assertThat(refused).as("allocations refused").isGreaterThan((int) (trainBytes / 16 / 2));
            }
        }
        assertThat(OffHeap.bytesInUse()).isEqualTo(start);
    }
}
