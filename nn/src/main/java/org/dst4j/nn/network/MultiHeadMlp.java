package org.dst4j.nn.network;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import org.dst4j.nn.evolution.TopologyEvolution;
import org.dst4j.nn.init.Density;
import org.dst4j.nn.layer.Dropout;
import org.dst4j.nn.layer.SparseLinear;
import org.dst4j.nn.loss.Loss;
import org.dst4j.nn.optim.Optimizer;
import org.dst4j.runtime.dense.Argmax;
import org.dst4j.runtime.dense.DenseMatrix;
import org.dst4j.runtime.kernel.ParallelKernels;
import org.dst4j.runtime.random.RandomStream;
import org.dst4j.runtime.resource.Closing;

/**
 * A shared sparse backbone feeding {@code M} sparse heads (NeuroTrails, Grooten et al. 2025). Training
 * combines one loss per head as {@link HeadLoss} says (by default their sum), so the backbone receives
 * the combined heads' input gradients; prediction averages the heads' class probabilities. {@link #predict} returns the log of that average, so a
 * softmax of it is the ensemble's distribution and its argmax the ensemble's class.
 *
 * <p>Dropout, when configured, acts on every hidden layer of the whole network, as in a single network
 * of the same shape: inside the backbone, on the shared features (one mask for all heads) and inside
 * each head.
 *
 * <p>Not thread-safe, as {@link SparseMlp}: a call made while another thread's call on this network (or on
 * its backbone) is running throws {@link java.util.ConcurrentModificationException}. To predict from several
 * threads, share a {@link org.dst4j.nn.model.MultiHeadClassifier}, whose calls take turns.
 */
public final class MultiHeadMlp implements Network {
    /**
     * How the heads' losses form the training objective. {@link #SUM} gives every head its full
     * gradient and the backbone the heads' summed gradient. {@link #MEAN} (the NeuroTrails reference
     * code's choice) divides the sum by {@code M}: each head's weights then get a {@code 1/M} share of its
     * own gradient and the backbone the heads' mean. With this project's SGD (weight decay not scaled by
     * the learning rate) and gradient-ranked regrowth, {@code MEAN} at learning rate {@code M*lr} trains
     * as {@code SUM} at {@code lr}, up to float rounding: the choice is a learning-rate scale for the whole network.
     */
    public enum HeadLoss {
        /** The heads' losses added up. */
        SUM,
        /** The heads' losses averaged: their sum divided by the number of heads. */
        MEAN
    }

    private final SparseMlp backbone;
    private final List<SparseMlp> heads;
    private final HeadLoss headLoss;
    private Dropout headInputDropout; // null: every head sees the shared features as they are
    // The configured dropout on the shared features: the backbone, a network of its own, treats them as its
    // outputs and drops none (they were never dropped, unlike the same layer of a single network).
    private final Dropout featureDropout;
    private int capacity, predictCapacity;
    // The training step's buffers and predict's: an evaluation before the topology update must leave the
    // heads' training inputs where gradient regrowth reads them. One input per head: gradient regrowth reads
    // every head's own dropped-out view after the step (with one shared buffer, all but the last head
    // regrew from the last head's view).
    private DenseMatrix headGrad, headMask, featureMask, droppedFeatures, ensemble;
    private DenseMatrix[] headInputs;
    private boolean closed;

    /** Takes ownership of the parts; each head must take the backbone's outputs. Trains on the summed head loss. */
    public MultiHeadMlp(SparseMlp backbone, List<SparseMlp> heads) {
        this(backbone, heads, HeadLoss.SUM);
    }

    /**
     * Takes ownership of the parts; each head must take the backbone's outputs. If they do not fit, the
     * parts are closed and {@link IllegalArgumentException} is thrown; if one of them, {@code heads} or
     * {@code headLoss} is null, the others are closed and {@link NullPointerException} is thrown.
     */
    public MultiHeadMlp(SparseMlp backbone, List<SparseMlp> heads, HeadLoss headLoss) {
        // The parts are this network's from the call on: a refusal that closed nothing left their memory to no one.
        RuntimeException refused = null;
        List<SparseMlp> given = new ArrayList<>();
        if (heads != null) for (SparseMlp h : heads) if (h != null) given.add(h);
        if (backbone == null) refused = new NullPointerException("backbone");
        else if (heads == null) refused = new NullPointerException("heads");
        else if (given.size() < heads.size()) refused = new NullPointerException("a null element in heads");
        else if (headLoss == null) refused = new NullPointerException("headLoss");
        else if (heads.isEmpty()) refused = new IllegalArgumentException("a multi-head network needs at least one head");
        for (SparseMlp h : given) {
            if (refused == null && (h.inputs() != backbone.outputs() || h.outputs() != given.getFirst().outputs())) {
                refused = new IllegalArgumentException("head " + h.inputs() + "->" + h.outputs() + " does not fit a backbone with " + backbone.outputs() + " outputs");
            }
        }
        if (refused != null) {
            Closing.after(refused, () -> { if (backbone != null) backbone.close(); }, () -> Closing.each(given, SparseMlp::close));
            throw refused;
        }
        this.backbone = backbone;
        this.heads = List.copyOf(heads);
        this.headLoss = headLoss;
        float rate = backbone.config().dropout();
        this.featureDropout = rate > 0 ? new Dropout(rate, backbone.dropoutSeed()) : null;
    }

    /**
     * Splits {@code full} (input, hidden…, classes) after {@code sharedLayers} layers: the backbone is
     * those layers (its output activation the hidden one), each of {@code heads} heads the rest.
     * Densities come from {@code full.density()} applied to each part.
     */
    public static MultiHeadMlp create(MlpConfig full, int sharedLayers, int heads, RandomStream init, RandomStream dropout) {
        return create(full, sharedLayers, heads, HeadLoss.SUM, init, dropout);
    }

    /** As {@link #create(MlpConfig, int, int, RandomStream, RandomStream)}, training on {@code headLoss}. */
    public static MultiHeadMlp create(MlpConfig full, int sharedLayers, int heads, HeadLoss headLoss, RandomStream init, RandomStream dropout) {
        return create(full, sharedLayers, heads, headLoss, full.density(), init, dropout);
    }

    /**
     * As {@link #create(MlpConfig, int, int, HeadLoss, RandomStream, RandomStream)}, but the heads'
     * layers take their densities from {@code headDensity} and only the backbone's from
     * {@code full.density()}: for budgets divided between the parts explicitly.
     */
    public static MultiHeadMlp create(MlpConfig full, int sharedLayers, int heads, HeadLoss headLoss, Density headDensity,
                                      RandomStream init, RandomStream dropout) {
        int[] sizes = full.sizes();
        int layers = sizes.length - 1;
        if (sharedLayers < 1 || sharedLayers >= layers) {
            throw new IllegalArgumentException("shared layers must be in [1, " + (layers - 1) + "] for " + layers + " layers, got " + sharedLayers);
        }
        if (heads < 1) throw new IllegalArgumentException("heads must be >= 1, got " + heads);
        Objects.requireNonNull(headLoss, "headLoss"); // before any network is made: the caller never sees them
        MlpConfig back = new MlpConfig(Arrays.copyOfRange(sizes, 0, sharedLayers + 1), full.hidden(), full.allReluAlpha(),
                full.hiddenActivation(sharedLayers - 1), full.dropout(), full.density(), full.init());
        MlpConfig head = headConfig(full, sharedLayers, headDensity);
        SparseMlp b = SparseMlp.create(back, init.split(0), dropout.nextLong());
        List<SparseMlp> hs = new ArrayList<>();
        try {
            for (int h = 0; h < heads; h++) hs.add(SparseMlp.create(head, init.split(h + 1), dropout.nextLong()));
        } catch (RuntimeException | Error e) { // out of memory too: the networks built so far are freed
            Closing.after(e, b::close, () -> Closing.each(hs, SparseMlp::close));
            throw e;
        }
        return new MultiHeadMlp(b, hs, headLoss);
    }

    private static MlpConfig headConfig(MlpConfig full, int sharedLayers, Density headDensity) {
        int[] sizes = full.sizes();
        // All-ReLU alternates its slope's sign along the whole network; a head's first hidden layer is the full
        // network's layer sharedLayers, so an odd split starts the head on the other sign (a negated alpha).
        float alpha = sharedLayers % 2 == 0 ? full.allReluAlpha() : -full.allReluAlpha();
        return new MlpConfig(Arrays.copyOfRange(sizes, sharedLayers, sizes.length), full.hidden(), alpha,
                full.output(), full.dropout(), headDensity, full.init());
    }

    /** The shared layers, from the input to the features every head reads. */
    public SparseMlp backbone() { return backbone; }

    /** The heads, each from the shared features to the classes; owned by this network and closed with it. */
    public List<SparseMlp> heads() { return heads; }

    /** How the heads' losses form the training objective. */
    public HeadLoss headLoss() { return headLoss; }

    /**
     * During training, drops each shared feature with probability {@code rate} independently for every
     * head (inverted dropout: the masks hash {@code seed}, the step and the head's index), so each head
     * learns from its own random view of the backbone's features; prediction is unaffected. This is not
     * in NeuroTrails: it is an extension meant to decorrelate heads that share one backbone. Rate 0
     * turns it off. Set before training.
     */
    public void headInputDropout(float rate, long seed) {
        headInputDropout = rate == 0f ? null : new Dropout(rate, seed);
    }

    @Override public int inputs() { return backbone.inputs(); }

    @Override public int outputs() { return heads.getFirst().outputs(); }

    @Override public long connections() {
        long n = backbone.connections();
        for (SparseMlp h : heads) n += h.connections();
        return n;
    }

    /** Off-heap bytes held by the backbone, the heads (see {@link SparseMlp#byteSize}) and this network's own buffers. */
    public long byteSize() {
        long b = backbone.byteSize();
        for (SparseMlp h : heads) b += h.byteSize();
        List<DenseMatrix> own = new ArrayList<>(Arrays.asList(headGrad, headMask, featureMask, droppedFeatures, ensemble));
        if (headInputs != null) own.addAll(Arrays.asList(headInputs));
        for (DenseMatrix m : own) if (m != null) b += m.byteSize();
        return b;
    }

    /** Prepares optimizer state in every layer of the backbone and heads; {@link IllegalStateException} if the network is closed. */
    @Override public void attach(Optimizer opt) {
        requireOpen();
        backbone.attach(opt);
        for (SparseMlp h : heads) h.attach(opt);
    }

    private void requireOpen() {
        if (closed) throw new IllegalStateException("the network is closed");
    }

    private void ensureCapacity(int n) {
        requireOpen(); // see SparseMlp.ensureCapacity
        if (headGrad != null && capacity >= n && (headInputDropout == null || headInputs != null)) return;
        closeBuffers();
        try {
            headGrad = DenseMatrix.allocate(backbone.outputs(), n);
            headMask = DenseMatrix.allocate(backbone.outputs(), n);
            if (featureDropout != null) {
                featureMask = DenseMatrix.allocate(backbone.outputs(), n);
                droppedFeatures = DenseMatrix.allocate(backbone.outputs(), n);
            }
            if (headInputDropout != null) {
                headInputs = new DenseMatrix[heads.size()];
                for (int h = 0; h < heads.size(); h++) headInputs[h] = DenseMatrix.allocate(backbone.outputs(), n);
            }
        } catch (RuntimeException | Error e) { // out of memory: all buffers or none, never a stale capacity
            Closing.after(e, this::closeBuffers);
            throw e;
        }
        capacity = n;
    }

    private void ensurePredictCapacity(int n) {
        requireOpen();
        if (ensemble != null && predictCapacity >= n) return;
        closePredictBuffer();
        ensemble = DenseMatrix.allocate(outputs(), n);
        predictCapacity = n;
    }

    /** Mean head loss in {@code loss()}; {@code correct()} counts the ensemble's (averaged) predictions. */
    @Override
    public SparseMlp.BatchResult trainBatch(ParallelKernels pk, DenseMatrix x, int[] labels, int offset, DenseMatrix targets,
                                            Loss loss, Optimizer opt, float lr, long step) {
        backbone.user().enter();
        try {
            int n = x.cols(), k = outputs();
            SparseMlp.checkTargets(n, labels, offset, targets, loss, opt, k);
            ensureCapacity(n);
            DenseMatrix features = backbone.forwardTrain(pk, x, step);
            if (featureDropout != null) {
                // The backbone's own layer index for the mask: the backbone drops only its earlier layers.
                featureDropout.apply(pk, step, backbone.layers().size() - 1, features, featureMask.columns(n), droppedFeatures.columns(n));
                features = droppedFeatures.columns(n);
            }
            DenseMatrix featureGrad = backbone.outputGradient(n), scratch = headGrad.columns(n);
            double lossSum = 0;
            // The loss gradient's scale carries the combination, so heads and backbone see the same objective.
            float headScale = headLoss == HeadLoss.MEAN ? 1f / heads.size() : 1f;
            double[] probs = new double[k * n];
            for (int h = 0; h < heads.size(); h++) {
                SparseMlp head = heads.get(h);
                DenseMatrix in = features, mask = null;
                if (headInputDropout != null) {
                    in = headInputs[h].columns(n);
                    mask = headMask.columns(n);
                    headInputDropout.apply(pk, step, h, features, mask, in);
                }
                DenseMatrix out = head.forwardTrain(pk, in, step);
                addSoftmax(out, probs);
                lossSum += loss.compute(pk, out, labels, offset, targets == null ? null : targets.columns(n), head.outputGradient(n), headScale);
                head.backward(pk, in, h == 0 ? featureGrad : scratch, opt, 1f / n, lr);
                if (mask != null) Dropout.backward(pk, mask, h == 0 ? featureGrad : scratch);
                if (h > 0) {
                    for (int r = 0; r < featureGrad.rows(); r++) {
                        pk.kernels().axpy(1f, scratch.segment(), r * scratch.stride(), featureGrad.segment(), r * featureGrad.stride(), n);
                    }
                }
            }
            if (featureDropout != null) Dropout.backward(pk, featureMask.columns(n), featureGrad);
            backbone.backward(pk, x, null, opt, 1f / n, lr);
            opt.endStep();
            int correct = 0;
            if (labels != null) {
                for (int c = 0; c < n; c++) if (Argmax.ofRow(probs, c, k) == labels[offset + c]) correct++;
            }
            return new SparseMlp.BatchResult(lossSum / heads.size(), correct);
        } finally {
            backbone.user().exit();
        }
    }

    // Adds each column's softmax of `out` ([k x n]) into probs[c * k + j].
    private static void addSoftmax(DenseMatrix out, double[] probs) {
        int k = out.rows();
        for (int c = 0; c < out.cols(); c++) {
            double max = Double.NEGATIVE_INFINITY;
            for (int j = 0; j < k; j++) max = Math.max(max, out.get(j, c));
            double sum = 0;
            for (int j = 0; j < k; j++) sum += StrictMath.exp(out.get(j, c) - max);
            for (int j = 0; j < k; j++) probs[c * k + j] += StrictMath.exp(out.get(j, c) - max) / sum;
        }
    }

    /** Each head's class probabilities for {@code x}, {@code [head][sample * classes + class]}. */
    public List<float[]> headProbabilities(ParallelKernels pk, DenseMatrix x) {
        backbone.user().enter();
        try {
            DenseMatrix features = backbone.predict(pk, x);
            List<float[]> out = new ArrayList<>();
            for (SparseMlp head : heads) {
                double[] p = new double[outputs() * x.cols()];
                addSoftmax(head.predict(pk, features), p);
                float[] f = new float[p.length];
                for (int i = 0; i < p.length; i++) f[i] = (float) p[i];
                out.add(f);
            }
            return out;
        } finally {
            backbone.user().exit();
        }
    }

    @Override
    public DenseMatrix predict(ParallelKernels pk, DenseMatrix x) {
        backbone.user().enter();
        try {
            int n = x.cols(), k = outputs();
            ensurePredictCapacity(n);
            DenseMatrix features = backbone.predict(pk, x);
            double[] probs = new double[k * n];
            for (SparseMlp head : heads) addSoftmax(head.predict(pk, features), probs);
            DenseMatrix e = ensemble.columns(n);
            for (int c = 0; c < n; c++) {
                for (int j = 0; j < k; j++) e.set(j, c, (float) StrictMath.log(Math.max(probs[c * k + j] / heads.size(), 1e-30)));
            }
            return e;
        } finally {
            backbone.user().exit();
        }
    }

    @Override
    public List<TopologyEvolution.Report> evolve(TopologyEvolution evolution, double fraction, double regrowth, RandomStream rnd,
                                                 ParallelKernels pk) {
        backbone.user().enter();
        try {
            requireOpen();
            List<SparseLinear> all = new ArrayList<>(backbone.layers());
            for (SparseMlp head : heads) all.addAll(head.layers());
            evolution.beforeUpdate(all, fraction);
            rnd.nextLong(); // advance: split() does not (see SparseMlp.evolve)
            List<TopologyEvolution.Report> reports = new ArrayList<>(backbone.evolveLayers(evolution, fraction, regrowth, rnd.split(0), pk));
            for (int h = 0; h < heads.size(); h++) reports.addAll(heads.get(h).evolveLayers(evolution, fraction, regrowth, rnd.split(h + 1), pk));
            return reports;
        } finally {
            backbone.user().exit();
        }
    }

    @Override public void forgetTrainingBatch() {
        backbone.forgetTrainingBatch();
        for (SparseMlp h : heads) h.forgetTrainingBatch();
    }

    @Override public long trainingFlops() {
        long f = backbone.trainingFlops();
        for (SparseMlp h : heads) f += h.trainingFlops();
        return f;
    }

    @Override public long denseTrainingFlops() {
        long f = backbone.denseTrainingFlops();
        for (SparseMlp h : heads) f += h.denseTrainingFlops();
        return f;
    }

    // Some buffers are null when an allocation failed (out of memory) part-way through ensureCapacity;
    // the fields are cleared first so that a later close does not close them twice.
    private void closeBuffers() {
        List<DenseMatrix> buffers = new ArrayList<>(Arrays.asList(headGrad, headMask, featureMask, droppedFeatures));
        if (headInputs != null) buffers.addAll(Arrays.asList(headInputs));
        headGrad = headMask = featureMask = droppedFeatures = null;
        headInputs = null;
        Closing.each(buffers, b -> {
            if (b != null) b.close();
        });
    }

    /**
     * Frees the prediction buffers of the backbone, every head and the ensemble, which stay sized for the widest batch
     * predicted until then (see {@link SparseMlp#releasePredictBuffers}); the next prediction allocates its own.
     * Invalidates the view the last {@link #predict} returned.
     */
    public void releasePredictBuffers() {
        backbone.user().enter();
        try {
            Closing.all(backbone::releasePredictBuffers, () -> Closing.each(heads, SparseMlp::releasePredictBuffers), this::closePredictBuffer);
            predictCapacity = 0;
        } finally {
            backbone.user().exit();
        }
    }

    private void closePredictBuffer() {
        DenseMatrix e = ensemble;
        ensemble = null;
        if (e != null) e.close();
    }

    /** Whether {@link #close} has been called: a closed network can no longer be used or saved. */
    public boolean isClosed() {
        return closed;
    }

    /** Frees the backbone, every head and the buffers, each even if another fails. Closing again does nothing. */
    @Override
    public void close() {
        if (closed) return;
        closed = true;
        Closing.all(this::closeBuffers, this::closePredictBuffer, backbone::close, () -> Closing.each(heads, SparseMlp::close));
    }

}
