package org.dst4j.algorithms.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.dst4j.nn.io.CheckpointFile;
import org.dst4j.nn.model.Classifier;
import org.dst4j.nn.model.EnsembleClassifier;
import org.dst4j.nn.model.MultiHeadClassifier;
import org.dst4j.nn.model.SparseClassifier;

/**
 * What a saved model records about the data it was trained on: the run's seed, which also drew a single
 * data file's held-out test split, and the checksum of the training samples. Either is null when the model
 * does not record it.
 */
record TrainedOn(Long seed, Long checksum) {

    static TrainedOn of(Classifier c) {
        return of(switch (c) {
            case SparseClassifier s -> s.header();
            case EnsembleClassifier e -> e.members().getFirst().header();
            case MultiHeadClassifier m -> m.manifest();
            default -> Map.of();
        });
    }

    /**
     * What each separately trained part of {@code c} records, by the name to show for it: an ensemble's members
     * by their file names in its manifest (members copied into one directory from several runs may have been trained
     * on different splits), any other model as one part named {@code ""}.
     */
    static Map<String, TrainedOn> ofEach(Classifier c) {
        Map<String, TrainedOn> parts = new LinkedHashMap<>();
        if (c instanceof EnsembleClassifier e && e.manifest().get("members") instanceof List<?> names
                && names.size() == e.members().size()) {
            for (int i = 0; i < names.size(); i++) parts.put(String.valueOf(names.get(i)), of(e.members().get(i).header()));
        } else {
            parts.put("", of(c));
        }
        return parts;
    }

    /** From a checkpoint file's header; nothing recorded when there is no such file (the caller reports that). */
    static TrainedOn ofFile(Path file) throws IOException {
        if (!Files.isRegularFile(file)) return new TrainedOn(null, null);
        // The header alone: the tensors (the whole model again) are not read.
        try (CheckpointFile.Index ix = CheckpointFile.open(file)) {
            return of(ix.header());
        }
    }

    // The run's seed is its config's (a DST member's provenance holds the member's own seed instead). An older
    // FreeTickets member's data_checksum is of its share after the validation hold-out: no checksum to check then.
    static TrainedOn of(Map<String, Object> h) {
        Long seed = null, sum = null;
        if (h.get("training") instanceof Map<?, ?> t && t.get("config") instanceof Map<?, ?> c && c.get("seed") instanceof Number n) seed = n.longValue();
        if (h.get("provenance") instanceof Map<?, ?> p) {
            if (seed == null && p.get("seed") instanceof Number n) seed = n.longValue();
            boolean freeTickets = String.valueOf(p.get("algorithm")).startsWith("freetickets");
            if (p.get("training_set_checksum") instanceof Number n) sum = n.longValue();
            else if (!freeTickets && p.get("data_checksum") instanceof Number n) sum = n.longValue();
        }
        return new TrainedOn(seed, sum);
    }
}
