package org.dst4j.nn.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.dst4j.nn.data.Dataset;
import org.dst4j.nn.data.Standardizer;
import org.dst4j.nn.ensemble.EnsembleMetrics;
import org.dst4j.nn.init.Density;
import org.dst4j.nn.init.WeightInit;
import org.dst4j.nn.io.CheckpointFile;
import org.dst4j.nn.io.Json;
import org.dst4j.nn.layer.Activation;
import org.dst4j.nn.network.MlpConfig;
import org.dst4j.nn.network.MultiHeadMlp;
import org.dst4j.nn.network.SparseMlp;
import org.dst4j.nn.optim.Optimizer;
import org.dst4j.nn.optim.Sgd;
import org.dst4j.runtime.dense.DenseMatrix;
import org.dst4j.runtime.kernel.KernelProvider;
import org.dst4j.runtime.kernel.ParallelKernels;
import org.dst4j.runtime.memory.OffHeap;
import org.dst4j.runtime.parallel.WorkerPool;
import org.dst4j.runtime.random.RandomStream;
import org.dst4j.runtime.sparse.CsrMatrix;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Closing, ownership and failed construction of the classifiers and the networks they own. */
class ClassifierLifecycleTest {
    static final int FEATURES = 6, CLASSES = 3;

    static MlpConfig config() {
        return new MlpConfig(new int[] {FEATURES, 16, CLASSES}, "relu", 0.6f, Activation.linear(), 0f, new Density.Uniform(0.6),
                new WeightInit.HeUniform());
    }

    static SparseMlp net(long seed) {
        return SparseMlp.create(config(), new RandomStream(seed), 1);
    }

    static MultiHeadMlp multiHead(long seed) {
        MlpConfig full = new MlpConfig(new int[] {FEATURES, 16, 12, CLASSES}, "relu", 0.6f, Activation.linear(), 0f,
                new Density.Uniform(0.6), new WeightInit.HeUniform());
        return MultiHeadMlp.create(full, 1, 2, new RandomStream(seed), new RandomStream(seed + 1));
    }

    // Not the runtime's "Already closed" from a closed network's freed layers once the write has begun, nor a
    // multi-head save leaving the model directory it has just made, empty.
    @Test
    void aClosedNetworkIsRefusedBeforeAnythingIsWritten(@TempDir Path dir) {
        SparseMlp closed = net(1);
        closed.close();
        assertThat(closed.isClosed()).isTrue();
        Path file = dir.resolve("m.dst4j"), npz = dir.resolve("m.npz"), heads = dir.resolve("heads");
        assertThatThrownBy(() -> ModelFile.save(file, closed, null, null, Map.of())).isInstanceOf(IllegalStateException.class)
                .hasMessage("the network is closed; nothing written to " + file);
        assertThatThrownBy(() -> ModelExport.networkToNpz(closed, null, Map.of(), "autoencoder", npz)).isInstanceOf(IllegalStateException.class)
                .hasMessage("the network is closed; nothing written to " + npz);
        MultiHeadMlp m = multiHead(2);
        m.close();
        assertThat(m.isClosed()).isTrue();
        assertThatThrownBy(() -> MultiHeadClassifier.save(m, heads, null, Map.of())).isInstanceOf(IllegalStateException.class)
                .hasMessage("the network is closed; nothing written to " + heads);
        assertThat(dir).isEmptyDirectory();
    }

    // docs/api.md: a null argument is a NullPointerException naming it, not the JDK's message about a method called on
    // it; an empty ensemble average is refused saying so.
    @Test
    void nullArgumentsAreRefusedByName(@TempDir Path dir) {
        try (SparseMlp n = net(1); WorkerPool pool = new WorkerPool(1)) {
            assertThat(n.isClosed()).isFalse();
            ParallelKernels pk = new ParallelKernels(KernelProvider.get(), pool);
            assertThatThrownBy(() -> SparseMlp.create(null, new RandomStream(1), 1)).isInstanceOf(NullPointerException.class).hasMessage("config");
            assertThatThrownBy(() -> SparseMlp.create(config(), null, 1)).isInstanceOf(NullPointerException.class).hasMessage("init");
            assertThatThrownBy(() -> n.predict(pk, null)).isInstanceOf(NullPointerException.class).hasMessage("x");
            Path f = dir.resolve("m.dst4j");
            assertThatThrownBy(() -> ModelFile.save(null, n, null, null, Map.of())).isInstanceOf(NullPointerException.class).hasMessage("file");
            assertThatThrownBy(() -> ModelFile.save(f, null, null, null, Map.of())).isInstanceOf(NullPointerException.class).hasMessage("net");
            assertThatThrownBy(() -> ModelFile.save(f, n, null, null, null)).isInstanceOf(NullPointerException.class).hasMessage("extra");
            assertThatThrownBy(() -> CheckpointFile.write(f, null, List.of())).isInstanceOf(NullPointerException.class).hasMessage("header");
            assertThatThrownBy(() -> CheckpointFile.write(f, Map.of(), null)).isInstanceOf(NullPointerException.class).hasMessage("tensors");
            assertThat(dir).isEmptyDirectory();
        }
        assertThatThrownBy(() -> EnsembleMetrics.of(null, new int[0], 2)).isInstanceOf(NullPointerException.class).hasMessage("memberProbs");
        assertThatThrownBy(() -> EnsembleMetrics.average(List.of())).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("an ensemble needs at least one member");
        assertThatThrownBy(() -> new EnsembleClassifier(null, Map.of())).isInstanceOf(NullPointerException.class).hasMessage("members");
        assertThatThrownBy(() -> Dataset.of("d", new float[2], 1, 2, null, 2)).isInstanceOf(NullPointerException.class).hasMessage("labels");
    }

    /** {@code samples} random samples labeled {@code i % classes}. */
    static Dataset data(String name, int samples, int classes, long seed) {
        RandomStream rnd = new RandomStream(seed);
        float[] x = new float[samples * FEATURES];
        for (int i = 0; i < x.length; i++) x[i] = (float) rnd.nextGaussian();
        int[] y = new int[samples];
        for (int i = 0; i < samples; i++) y[i] = i % classes;
        return Dataset.of(name, x, samples, FEATURES, y, classes);
    }

    // Whether a network's memory is gone: using it fails.
    static boolean closed(SparseMlp net) {
        try (WorkerPool pool = new WorkerPool(1); DenseMatrix x = DenseMatrix.allocate(net.inputs(), 1)) {
            net.predict(new ParallelKernels(KernelProvider.get(), pool), x);
            return false;
        } catch (IllegalStateException e) {
            return true;
        }
    }

    @Test
    void aClassifierClosesOnceAndFailsCleanlyWhenUsedAfterClose(@TempDir Path tmp) {
        SparseClassifier c = new SparseClassifier(net(1), null, Map.of(), 2);
        try (Dataset d = data("d", 5, CLASSES, 2)) {
            assertThat(c.predictProbabilities(d)).hasSize(5 * CLASSES);
            c.close();
            c.close();
            assertThat(closed(c.network())).isTrue();
            // The classifier's own words, not the closed network's (or memory's) that a call reaching it would give:
            // on the way there a call would have allocated buffers that nothing frees any more.
            float[] one = new float[FEATURES];
            assertThatThrownBy(() -> c.predictProbabilities(d)).isInstanceOf(IllegalStateException.class).hasMessage(CLOSED);
            assertThatThrownBy(() -> c.predict(d)).isInstanceOf(IllegalStateException.class).hasMessage(CLOSED);
            assertThatThrownBy(() -> c.evaluate(d)).isInstanceOf(IllegalStateException.class).hasMessage(CLOSED);
            assertThatThrownBy(() -> c.predictProbabilities(one)).isInstanceOf(IllegalStateException.class).hasMessage(CLOSED);
            assertThatThrownBy(() -> c.predict(one)).isInstanceOf(IllegalStateException.class).hasMessage(CLOSED);
            assertThatThrownBy(() -> c.save(tmp.resolve("m.dst4j"))).isInstanceOf(IllegalStateException.class).hasMessage(CLOSED);
            assertThat(tmp.resolve("m.dst4j")).doesNotExist();
        }
    }

    static final String CLOSED = "the classifier is closed";

    @Test
    void aNetworkUsedAfterCloseFailsWithoutAllocatingBuffersAgain() {
        SparseMlp n = net(1);
        n.close();
        n.close();
        long held = n.byteSize();
        // Without the check predict allocated fresh activation buffers (counted by byteSize), then failed on
        // the closed weights, and nothing would free them: a second close is a no-op.
        assertThat(closed(n)).isTrue();
        assertThat(n.byteSize()).isEqualTo(held);
        MultiHeadMlp m = multiHead(3);
        m.close();
        m.close();
        assertThat(closed(m.backbone())).isTrue();
        assertThat(closed(m.heads().get(1))).isTrue();
    }

    @Test
    void backPropagationWithoutATrainingPassOrAfterCloseIsNamed() {
        // outputGradient and backward read the training buffers: missing (never made, or freed by close) they would fail
        // with a NullPointerException from inside.
        SparseMlp n = net(1);
        try (WorkerPool pool = new WorkerPool(1); DenseMatrix x = DenseMatrix.allocate(FEATURES, 3)) {
            ParallelKernels pk = new ParallelKernels(KernelProvider.get(), pool);
            Sgd sgd = new Sgd(0.9f, 0f);
            n.attach(sgd);
            assertThatThrownBy(() -> n.outputGradient(3)).isInstanceOf(IllegalStateException.class)
                    .hasMessage("no training forward pass (forwardTrain) to back-propagate");
            assertThatThrownBy(() -> n.backward(pk, x, null, sgd, 1f, 0.1f)).isInstanceOf(IllegalStateException.class)
                    .hasMessage("no training forward pass (forwardTrain) to back-propagate");
            n.forwardTrain(pk, x, 0);
            assertThat(n.outputGradient(3).cols()).isEqualTo(3);
            n.close();
            assertThatThrownBy(() -> n.outputGradient(3)).isInstanceOf(IllegalStateException.class).hasMessage("the network is closed");
            assertThatThrownBy(() -> n.backward(pk, x, null, sgd, 1f, 0.1f)).isInstanceOf(IllegalStateException.class).hasMessage("the network is closed");
        }
    }

    @Test
    void constructorsThatTakeOwnershipCloseTheNetworkWhenTheyFail() {
        SparseMlp n = net(1);
        assertThatThrownBy(() -> new SparseClassifier(n, null, Map.of(), 0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("threads must be >= 1, got 0");
        assertThat(closed(n)).isTrue();
        SparseMlp headerless = net(2);
        assertThatThrownBy(() -> new SparseClassifier(headerless, null, null, 1)).isInstanceOf(NullPointerException.class).hasMessage("header");
        assertThat(closed(headerless)).isTrue();
        // A standardizer of another width would fail only at the first prediction, on a batch "fitted on" another width.
        SparseMlp narrow = net(7);
        Standardizer two = new Standardizer(new float[] {0, 0}, new float[] {1, 1});
        assertThatThrownBy(() -> new SparseClassifier(narrow, two, Map.of(), 1)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("the standardizer is for 2 features, the network takes " + FEATURES + " inputs");
        assertThat(closed(narrow)).isTrue();
        // An ensemble takes its members: a null manifest (manifest() answered null) closes them too.
        SparseClassifier member = new SparseClassifier(net(8), null, Map.of(), 1);
        assertThatThrownBy(() -> new EnsembleClassifier(List.of(member), null)).isInstanceOf(NullPointerException.class).hasMessage("manifest");
        assertThat(closed(member.network())).isTrue();
        // a null member: the others would be left open (the shape check throwing from inside)
        SparseClassifier beside = new SparseClassifier(net(9), null, Map.of(), 1);
        assertThatThrownBy(() -> new EnsembleClassifier(Arrays.asList(beside, null), Map.of())).isInstanceOf(NullPointerException.class)
                .hasMessage("members[1]");
        assertThat(closed(beside.network())).isTrue();
        // a multi-head model's standardizer of another width is refused as a single network's is (not at the first prediction)
        MultiHeadMlp wide = multiHead(4);
        assertThatThrownBy(() -> new MultiHeadClassifier(wide, two, 1)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("the standardizer is for 2 features, the network takes " + FEATURES + " inputs");
        assertThat(closed(wide.backbone())).isTrue();

        MultiHeadMlp m = multiHead(3);
        assertThatThrownBy(() -> new MultiHeadClassifier(m, null, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThat(closed(m.backbone())).isTrue();
        assertThat(closed(m.heads().getFirst())).isTrue();

        // Parts that do not fit together: the multi-head network frees them.
        MultiHeadMlp good = multiHead(5);
        SparseMlp backbone = good.backbone(), wrongHead = net(6);
        assertThatThrownBy(() -> new MultiHeadMlp(backbone, List.of(wrongHead))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("does not fit a backbone with 16 outputs");
        assertThat(closed(backbone)).isTrue();
        assertThat(closed(wrongHead)).isTrue();
        good.close();
        // A null part, head list or head loss: the parts given would be left open, their memory to no one.
        long before = OffHeap.bytesInUse();
        MultiHeadMlp parts = multiHead(7), more = multiHead(8);
        SparseMlp b = parts.backbone(), h = parts.heads().getFirst(), b2 = more.backbone(), h2 = more.heads().getFirst();
        assertThatThrownBy(() -> new MultiHeadMlp(b, List.of(h), null)).isInstanceOf(NullPointerException.class).hasMessage("headLoss");
        assertThat(closed(b)).isTrue();
        assertThat(closed(h)).isTrue();
        assertThatThrownBy(() -> new MultiHeadMlp(b2, Arrays.asList(h2, null))).isInstanceOf(NullPointerException.class)
                .hasMessage("a null element in heads");
        assertThat(closed(b2)).isTrue();
        assertThat(closed(h2)).isTrue();
        SparseMlp lone = more.heads().get(1);
        assertThatThrownBy(() -> new MultiHeadMlp(null, List.of(lone))).isInstanceOf(NullPointerException.class).hasMessage("backbone");
        assertThat(closed(lone)).isTrue();
        parts.heads().get(1).close();
        assertThat(OffHeap.bytesInUse()).as("everything made here freed").isEqualTo(before);
        // create refuses a null head loss before it makes any network
        MlpConfig full = new MlpConfig(new int[] {FEATURES, 16, 12, CLASSES}, "relu", 0.6f, Activation.linear(), 0f,
                new Density.Uniform(0.6), new WeightInit.HeUniform());
        assertThatThrownBy(() -> MultiHeadMlp.create(full, 1, 2, (MultiHeadMlp.HeadLoss) null, new RandomStream(1), new RandomStream(2)))
                .isInstanceOf(NullPointerException.class).hasMessage("headLoss");
        assertThat(OffHeap.bytesInUse()).isEqualTo(before);
    }

    @Test
    void aDirectoryThatIsNoModelIsNamedWithWhatWasExpected(@TempDir Path tmp) {
        // Linux opens a directory for reading, and its first read failed with "Is a directory" and no path.
        assertThatThrownBy(() -> Classifier.load(tmp, 1)).isInstanceOf(IOException.class)
                .hasMessage(tmp + ": a directory without " + EnsembleClassifier.MANIFEST + " or " + MultiHeadClassifier.MANIFEST
                        + "; give a model file (.dst4j), an ensemble directory or a multi-head model directory");
        assertThatThrownBy(() -> SparseClassifier.load(tmp, 1)).isInstanceOf(IOException.class)
                .hasMessage(tmp + ": a directory, not a checkpoint file");
    }

    @Test
    void aRunDirectoryGivenForItsModelIsPointedAtTheModelInside(@TempDir Path tmp) throws Exception {
        // NeuroTrails writes its model to DIR/model, and the run directory is what a user gives first.
        Path neuroTrails = Files.createDirectories(tmp.resolve("nt"));
        Files.createDirectories(neuroTrails.resolve("model"));
        Files.writeString(neuroTrails.resolve("model").resolve(MultiHeadClassifier.MANIFEST), "{}");
        assertThatThrownBy(() -> Classifier.load(neuroTrails, 1)).isInstanceOf(IOException.class)
                .hasMessageStartingWith(neuroTrails + ": a directory without ")
                .hasMessageEndingWith("; did you mean " + neuroTrails.resolve("model") + "?");
        Path set = Files.createDirectories(tmp.resolve("set"));
        Files.writeString(set.resolve("model.dst4j"), "");
        assertThat(Classifier.modelIn(set)).isEqualTo(set.resolve("model.dst4j"));
        assertThat(Classifier.modelIn(tmp)).isNull();
    }

    @Test
    void loadersRejectZeroThreadsBeforeReadingOrAllocatingAnything(@TempDir Path tmp) {
        Path missing = tmp.resolve("nothing-here");
        // A missing file would be an IOException: the threads are checked first, so no network is ever built.
        assertThatThrownBy(() -> SparseClassifier.load(missing, 0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("threads must be >= 1, got 0");
        assertThatThrownBy(() -> EnsembleClassifier.load(missing, 0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("threads must be >= 1, got 0");
        assertThatThrownBy(() -> MultiHeadClassifier.load(missing, 0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("threads must be >= 1, got 0");
        assertThatThrownBy(() -> Classifier.load(missing, 0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("threads must be >= 1, got 0");
        assertThatThrownBy(() -> Classifier.load(tmp, 0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("threads must be >= 1, got 0");
        // From a stream too: refused before a byte of it is read.
        ByteArrayInputStream in = new ByteArrayInputStream(new byte[] {1, 2, 3, 4, 5, 6, 7, 8, 9});
        assertThatThrownBy(() -> SparseClassifier.load(in, "m.dst4j", 0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("threads must be >= 1, got 0");
        assertThat(in.available()).isEqualTo(9);
    }

    @Test
    void anEnsembleClosesEveryMemberEvenWhenOneWasClosedThroughMembers() {
        SparseClassifier a = new SparseClassifier(net(1), null, Map.of(), 1), b = new SparseClassifier(net(2), null, Map.of(), 1);
        EnsembleClassifier e = new EnsembleClassifier(List.of(a, b), Map.of());
        e.members().getFirst().close();
        e.close();
        assertThat(closed(b.network())).isTrue();
        e.close();
        try (Dataset d = data("d", 3, CLASSES, 2)) {
            assertThatThrownBy(() -> e.predictProbabilities(d)).isInstanceOf(IllegalStateException.class);
        }
    }

    @Test
    void anEnsembleOfMembersThatDoNotAgreeClosesThem() {
        SparseClassifier a = new SparseClassifier(net(1), null, Map.of(), 1);
        MlpConfig other = new MlpConfig(new int[] {FEATURES, 8, CLASSES + 1}, "relu", 0.6f, Activation.linear(), 0f,
                new Density.Uniform(0.6), new WeightInit.HeUniform());
        SparseClassifier b = new SparseClassifier(SparseMlp.create(other, new RandomStream(2), 1), null, Map.of(), 1);
        assertThatThrownBy(() -> new EnsembleClassifier(List.of(a, b), Map.of())).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("differ in shape");
        assertThat(closed(a.network())).isTrue();
        assertThat(closed(b.network())).isTrue();
    }

    @Test
    void anEnsembleWhoseManifestCannotBeCopiedClosesItsMembers() {
        SparseClassifier a = new SparseClassifier(net(1), null, Map.of(), 1), b = new SparseClassifier(net(2), null, Map.of(), 1);
        // The ensemble keeps a read-only copy; a map that holds itself cannot be copied (the copy recurses without end).
        Map<String, Object> manifest = new HashMap<>();
        manifest.put("self", manifest);
        assertThatThrownBy(() -> new EnsembleClassifier(List.of(a, b), manifest)).isInstanceOf(StackOverflowError.class);
        // the members were handed over with the call: no one else would free their networks and worker threads
        assertThat(closed(a.network())).isTrue();
        assertThat(closed(b.network())).isTrue();
    }

    @Test
    void savingWithANullArgumentWritesNothing(@TempDir Path tmp) {
        // Refused before MultiHeadClassifier.save makes the directory or (with null info) writes a part file.
        try (MultiHeadMlp net = multiHead(3)) {
            Path dir = tmp.resolve("mh");
            assertThatThrownBy(() -> MultiHeadClassifier.save(null, dir, null, Map.of())).isInstanceOf(NullPointerException.class).hasMessage("net");
            assertThatThrownBy(() -> MultiHeadClassifier.save(net, null, null, Map.of())).isInstanceOf(NullPointerException.class).hasMessage("dir");
            assertThatThrownBy(() -> MultiHeadClassifier.save(net, dir, null, null)).isInstanceOf(NullPointerException.class).hasMessage("info");
            assertThat(dir).doesNotExist();
        }
        Path ens = tmp.resolve("ens");
        assertThatThrownBy(() -> EnsembleClassifier.writeManifest(ens, null, Map.of())).isInstanceOf(NullPointerException.class).hasMessage("memberFiles");
        assertThatThrownBy(() -> EnsembleClassifier.writeManifest(ens, List.of("a.dst4j"), null)).isInstanceOf(NullPointerException.class).hasMessage("info");
        try (SparseClassifier c = new SparseClassifier(net(1), null, Map.of(), 1)) {
            assertThatThrownBy(() -> c.save(null)).isInstanceOf(NullPointerException.class).hasMessage("file");
        }
    }

    @Test
    void aModelThatRunsOutOfMemoryWhileLoadingFreesTheLayersItBuilt(@TempDir Path tmp) throws Exception {
        // Memory exhaustion is an OutOfMemoryError, not a RuntimeException: a load freeing on RuntimeException alone
        // would leak.
        Path file = tmp.resolve("m.dst4j");
        try (SparseMlp n = SparseMlp.create(new MlpConfig(new int[] {FEATURES, 16, 12, CLASSES}, "relu", 0.6f, Activation.linear(), 0f,
                new Density.Uniform(0.6), new WeightInit.HeUniform()), new RandomStream(5), 1)) {
            Optimizer saved = new Sgd(0.9f, 0f);
            n.attach(saved);
            ModelFile.save(file, n, saved, null, Map.of());
        }
        List<CsrMatrix> attached = new ArrayList<>();
        Optimizer sgd = new Sgd(0.9f, 0f);
        Optimizer exhausted = new Optimizer() {
            @Override public void attach(CsrMatrix w) {
                attached.add(w);
                if (attached.size() == 3) throw new OutOfMemoryError("no memory for the side arrays");
                sgd.attach(w);
            }
            @Override public String[] sideArrays() { return sgd.sideArrays(); }
            @Override public int biasSlots() { return sgd.biasSlots(); }
            @Override public void updateWeights(ParallelKernels pk, CsrMatrix w, DenseMatrix dz, DenseMatrix x, float scale,
                                                float lr) {}
            @Override public void updateBias(ParallelKernels pk, MemorySegment bias, MemorySegment gradSum,
                                             MemorySegment state, int n, float scale, float lr) {}
        };
        assertThatThrownBy(() -> ModelFile.load(file, exhausted)).isInstanceOf(OutOfMemoryError.class);
        assertThat(attached).hasSize(3);
        for (CsrMatrix w : attached) {
            assertThatThrownBy(() -> w.rowStart(0)).as("layer weights freed").isInstanceOf(IllegalStateException.class);
        }
    }

    @Test
    @SuppressWarnings("unchecked")
    void aHeaderIsReadOnlyAndACallersLaterChangeDoesNotReachIt(@TempDir Path tmp) throws Exception {
        // header() hands out a read-only copy, nested objects included: a caller's change does not reach the next save.
        Map<String, Object> training = new LinkedHashMap<>(Map.of("epochs", 3));
        Map<String, Object> given = new LinkedHashMap<>(Map.of("training", training, "hidden", new ArrayList<>(List.of(8))));
        try (SparseClassifier c = new SparseClassifier(net(1), null, given, 1)) {
            training.put("epochs", 99);
            given.put("added", true);
            assertThat(c.header()).doesNotContainKey("added");
            assertThat(Json.getObject(c.header(), "training")).containsEntry("epochs", 3);
            assertThatThrownBy(() -> c.header().put("x", 1)).isInstanceOf(UnsupportedOperationException.class);
            assertThatThrownBy(() -> Json.getObject(c.header(), "training").put("epochs", 5)).isInstanceOf(UnsupportedOperationException.class);
            c.save(tmp.resolve("m.dst4j"));
        }
        try (SparseClassifier loaded = SparseClassifier.load(tmp.resolve("m.dst4j"), 1)) {
            assertThat(Json.getObject(loaded.header(), "training")).containsEntry("epochs", 3L);
            assertThatThrownBy(() -> Json.getObject(loaded.header(), "training").put("epochs", 5)).isInstanceOf(UnsupportedOperationException.class);
            assertThatThrownBy(() -> ((List<Object>) loaded.header().get("hidden")).add(1)).isInstanceOf(UnsupportedOperationException.class);
        }
    }

    @Test
    @SuppressWarnings("unchecked")
    void aPrimitiveArrayInAGivenHeaderIsHandedOutAsAReadOnlyList() {
        // Copied in and handed out as a read-only list: a caller's write, to the array given or the list returned, does
        // not reach the classifier.
        int[] sizes = {4, 8, 2};
        Map<String, Object> given = new LinkedHashMap<>(Map.of("sizes", sizes, "scales", new float[] {0.5f}));
        try (SparseClassifier c = new SparseClassifier(net(1), null, given, 1)) {
            sizes[0] = 99;
            assertThat((List<Object>) c.header().get("sizes")).containsExactly(4, 8, 2);
            assertThat(Json.getInts(c.header(), "sizes")).containsExactly(4, 8, 2);
            assertThatThrownBy(() -> ((List<Object>) c.header().get("sizes")).set(0, 1)).isInstanceOf(UnsupportedOperationException.class);
            assertThatThrownBy(() -> ((List<Object>) c.header().get("scales")).set(0, 1f)).isInstanceOf(UnsupportedOperationException.class);
        }
    }

    // The live worker threads of classifiers' pools: a classifier left open keeps its pool's.
    private static long workerThreads() {
        return Thread.getAllStackTraces().keySet().stream().filter(t -> t.isAlive() && t.getName().startsWith("dst4j-worker-")).count();
    }

    @Test
    void anEnsembleWhoseLaterMemberCannotBeLoadedClosesTheMembersLoadedBefore(@TempDir Path tmp) throws Exception {
        try (SparseClassifier c = new SparseClassifier(net(1), null, Map.of(), 1)) {
            c.save(tmp.resolve("a.dst4j"));
        }
        EnsembleClassifier.writeManifest(tmp, List.of("a.dst4j", "missing.dst4j"), Map.of());
        long before = workerThreads();
        assertThatThrownBy(() -> EnsembleClassifier.load(tmp, 3)).isInstanceOf(IOException.class)
                .hasMessage(tmp.resolve(EnsembleClassifier.MANIFEST) + ": member missing.dst4j does not exist");
        // The first member, loaded with a pool of three threads, was closed: its two worker threads are gone.
        assertThat(workerThreads()).isLessThanOrEqualTo(before);
    }

    @Test
    void aModelRefusedAfterItsNetworksWereBuiltFreesThem(@TempDir Path tmp) throws Exception {
        Path mh = tmp.resolve("mh");
        try (MultiHeadMlp m = multiHead(3)) {
            MultiHeadClassifier.save(m, mh, null, Map.of());
        }
        long before = OffHeap.bytesInUse();
        // A backbone is refused as a classifier only once its network is built (its output layer is the reason).
        assertThatThrownBy(() -> SparseClassifier.load(mh.resolve("backbone.dst4j"), 1)).isInstanceOf(IOException.class)
                .hasMessageContaining("not a classifier's linear outputs");
        assertThat(OffHeap.bytesInUse()).as("after the backbone").isEqualTo(before);
        // A head that cannot be read: the backbone and the head before it were built.
        Files.delete(mh.resolve("head-2.dst4j"));
        assertThatThrownBy(() -> MultiHeadClassifier.load(mh, 1)).isInstanceOf(IOException.class)
                .hasMessageContaining("head-2.dst4j");
        assertThat(OffHeap.bytesInUse()).as("after the heads").isEqualTo(before);
    }

    @Test
    void aMultiHeadClassifierClosesOnce() {
        MultiHeadClassifier c = new MultiHeadClassifier(multiHead(3), null, 2);
        c.close();
        c.close();
        assertThat(closed(c.network().backbone())).isTrue();
        try (Dataset d = data("d", 3, CLASSES, 2)) {
            assertThatThrownBy(() -> c.predictProbabilities(d)).isInstanceOf(IllegalStateException.class).hasMessage(CLOSED);
            assertThatThrownBy(() -> c.predictProbabilities(new float[FEATURES])).isInstanceOf(IllegalStateException.class).hasMessage(CLOSED);
        }
    }
}
