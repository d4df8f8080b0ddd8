package org.dst4j.nn.network;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.dst4j.nn.evolution.BatchGradient;
import org.dst4j.nn.evolution.TopologyEvolution;
import org.dst4j.nn.init.SparseInit;
import org.dst4j.nn.layer.Activation;
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
 * A feed-forward network of sparse layers. It owns its layers and its activation buffers (those of
 * training, sized for the largest training batch, and those of {@link #predict}, sized for the largest
 * batch predicted), all off-heap; {@link #close()} frees them.
 *
 * <p>Not thread-safe: a network has one set of buffers, so its calls must not overlap. A call made while
 * another thread's call is running ({@link #predict}, a training step, {@link #evolve}, ...) throws
 * {@link java.util.ConcurrentModificationException} naming that thread, rather than returning the other
 * call's numbers (best effort, as {@code java.util}'s fail-fast iterators: a second thread that interleaves
 * whole calls with yours, say between {@link #forwardTrain} and {@link #backward}, or between your
 * {@link #predict} and your reading of the view it returned, is not caught). To
 * predict from several threads, share a {@link org.dst4j.nn.model.SparseClassifier}, whose calls take turns.
 * The worker threads of the {@link ParallelKernels} given to a call are the call's own.
 */
public final class SparseMlp implements Network {
    private final MlpConfig config;
    private final List<SparseLinear> layers;
    private final long dropoutSeed;
    private int capacity, predictCapacity;
    private DenseMatrix[] z, a, dropped, mask, grad;
    // predict's own: an evaluation between a training step and the topology update leaves the batch's
    // activations and deltas, which gradient regrowth reads, where they are.
    private DenseMatrix[] pz, pa;
    // The latest training batch's input and size: its activations and deltas stay in the buffers until
    // the next training forward pass, which is what gradient-based regrowth reads.
    private DenseMatrix lastInput;
    private int lastBatch;
    private long trainingFlops, denseTrainingFlops;
    private boolean closed;
    private final SingleUser user = new SingleUser("this network");

    private SparseMlp(MlpConfig config, List<SparseLinear> layers, long dropoutSeed) {
        this.config = config;
        this.layers = layers;
        this.dropoutSeed = dropoutSeed;
    }

    /** A new network with random topology and weights drawn from {@code init}. */
    public static SparseMlp create(MlpConfig config, RandomStream init, long dropoutSeed) {
        Objects.requireNonNull(config, "config");
        Objects.requireNonNull(init, "init");
        int[] sizes = config.sizes();
        double[] densities = config.density().densities(sizes);
        List<SparseLinear> layers = new ArrayList<>();
        try {
            for (int l = 0; l + 1 < sizes.length; l++) {
                var w = SparseInit.sample(sizes[l + 1], sizes[l], densities[l], config.init(), init.split(l));
                layers.add(new SparseLinear(w, activationOf(config, l)));
            }
        } catch (RuntimeException | Error e) { // out of memory too: the layers built so far are freed
            Closing.after(e, () -> Closing.each(layers, SparseLinear::close));
            throw e;
        }
        return new SparseMlp(config, layers, dropoutSeed);
    }

    /** Wraps existing layers (e.g. loaded from a checkpoint); takes ownership of them. */
    public static SparseMlp of(MlpConfig config, List<SparseLinear> layers, long dropoutSeed) {
        return new SparseMlp(config, new ArrayList<>(layers), dropoutSeed);
    }

    /** The activation of layer {@code l} under {@code config}. */
    public static Activation activationOf(MlpConfig config, int l) {
        return l == config.sizes().length - 2 ? config.output() : config.hiddenActivation(l);
    }

    // For MultiHeadMlp, whose calls span its backbone and heads, and for tests.
    SingleUser user() { return user; }

    /** The shape the network was built with: layer sizes, activations, dropout, density and initializer. */
    public MlpConfig config() { return config; }

    /** The layers, input side first; the list is a copy, the layers are the network's own (closed with it). */
    public List<SparseLinear> layers() { return List.copyOf(layers); }

    /** The seed of the dropout masks, which a checkpoint saves so that a resumed run drops the same units. */
    public long dropoutSeed() { return dropoutSeed; }

    /** Features per sample: the first layer's inputs. */
    @Override public int inputs() { return layers.getFirst().in(); }

    /** The last layer's outputs (classes, or reconstructed features). */
    @Override public int outputs() { return layers.getLast().out(); }

    /** Live connections in all layers. */
    public long connections() {
        long n = 0;
        for (SparseLinear l : layers) n += l.connections();
        return n;
    }

    /** Off-heap bytes held by parameters, optimizer state and activation buffers (after {@link #close}, what the layers held). */
    public long byteSize() {
        long b = 0;
        for (SparseLinear l : layers) b += l.byteSize();
        if (z != null) {
            for (DenseMatrix[] ms : new DenseMatrix[][] {z, a, dropped, mask, grad}) {
                for (int i = 0; i < ms.length; i++) {
                    if (ms[i] != null && (ms != a || ms[i] != z[i]) && (ms != dropped || ms[i] != a[i])) b += ms[i].byteSize();
                }
            }
        }
        if (pz != null) {
            for (int i = 0; i < pz.length; i++) {
                if (pz[i] != null) b += pz[i].byteSize();
                if (pa[i] != null && pa[i] != pz[i]) b += pa[i].byteSize();
            }
        }
        return b;
    }

    /**
     * Prepares optimizer state in every layer.
     *
     * @throws IllegalStateException if the network is closed
     */
    public void attach(Optimizer opt) {
        user.enter();
        try {
            requireOpen();
            for (SparseLinear l : layers) l.attach(opt);
        } finally {
            user.exit();
        }
    }

    // The layers' freed memory failed such a call with the runtime's "Already closed", naming no network.
    private void requireOpen() {
        if (closed) throw new IllegalStateException("the network is closed");
    }

    private void ensureCapacity(int batch) {
        // A closed network's buffers are gone too: without this, a call would allocate new ones before the
        // closed weights failed it, and nothing would ever free them.
        requireOpen();
        if (z != null && capacity >= batch) return;
        freeBuffers();
        int n = layers.size();
        z = new DenseMatrix[n];
        a = new DenseMatrix[n];
        dropped = new DenseMatrix[n];
        mask = new DenseMatrix[n];
        grad = new DenseMatrix[n];
        try {
            for (int l = 0; l < n; l++) {
                SparseLinear layer = layers.get(l);
                z[l] = DenseMatrix.allocate(layer.out(), batch);
                a[l] = layer.activation().isIdentity() ? z[l] : DenseMatrix.allocate(layer.out(), batch);
                boolean hidden = l < n - 1;
                if (hidden && config.dropout() > 0) {
                    dropped[l] = DenseMatrix.allocate(layer.out(), batch);
                    mask[l] = DenseMatrix.allocate(layer.out(), batch);
                } else {
                    dropped[l] = a[l];
                }
                grad[l] = DenseMatrix.allocate(layer.out(), batch);
            }
        } catch (RuntimeException | Error e) { // out of memory: all buffers or none, never a stale capacity
            Closing.after(e, this::freeBuffers);
            throw e;
        }
        capacity = batch;
    }

    private void ensurePredictCapacity(int batch) {
        requireOpen(); // see ensureCapacity
        if (pz != null && predictCapacity >= batch) return;
        freePredictBuffers();
        int n = layers.size();
        pz = new DenseMatrix[n];
        pa = new DenseMatrix[n];
        try {
            for (int l = 0; l < n; l++) {
                SparseLinear layer = layers.get(l);
                pz[l] = DenseMatrix.allocate(layer.out(), batch);
                pa[l] = layer.activation().isIdentity() ? pz[l] : DenseMatrix.allocate(layer.out(), batch);
            }
        } catch (RuntimeException | Error e) {
            Closing.after(e, this::freePredictBuffers);
            throw e;
        }
        predictCapacity = batch;
    }

    /**
     * Frees {@link #predict}'s buffers, which stay sized for the widest batch predicted until then (two rows of
     * {@code batch} floats, padded, per hidden neuron); the next {@link #predict} allocates its own. Invalidates the
     * view the last {@link #predict} returned.
     */
    public void releasePredictBuffers() {
        user.enter();
        try {
            freePredictBuffers();
        } finally {
            user.exit();
        }
    }

    /**
     * Inference on the first {@code x.cols()} columns of {@code x} ({@code [inputs x batch]}); returns a
     * view of the output activations, valid until the next call.
     */
    public DenseMatrix predict(ParallelKernels pk, DenseMatrix x) {
        Objects.requireNonNull(pk, "pk");
        Objects.requireNonNull(x, "x");
        user.enter();
        try {
            int n = x.cols();
            ensurePredictCapacity(n);
            DenseMatrix in = x;
            for (int l = 0; l < layers.size(); l++) {
                DenseMatrix zl = pz[l].columns(n), al = pa[l].columns(n);
                layers.get(l).forward(pk, in, zl, al);
                in = al;
            }
            return in;
        } finally {
            user.exit();
        }
    }

    /**
     * Loss sum and correct predictions of one training batch.
     *
     * @param loss the loss summed over the batch's samples
     * @param correct samples whose argmax output was their label (0 without labels)
     */
    public record BatchResult(double loss, int correct) {}

    /**
     * One training step on the batch in {@code x} (its {@code cols()} samples): forward with dropout,
     * loss, back-propagation and the optimizer update of every layer (gradients averaged over the batch).
     *
     * @param step the global step number, which seeds the dropout masks
     * @throws IllegalArgumentException before the network changes, if {@code labels} has no label for a sample of the batch,
     *     {@code targets} is not {@code [outputs x batch]} or wider, or neither is given
     */
    public BatchResult trainBatch(ParallelKernels pk, DenseMatrix x, int[] labels, int offset, DenseMatrix targets,
                                  Loss loss, Optimizer opt, float lr, long step) {
        user.enter();
        try {
            int n = x.cols();
            checkTargets(n, labels, offset, targets, loss, opt, outputs());
            DenseMatrix out = forwardTrain(pk, x, step);
            int correct = loss.classifies() || labels != null ? countCorrect(out, labels, offset) : 0;
            double lossSum = loss.compute(pk, out, labels, offset, targets == null ? null : targets.columns(n), outputGradient(n), 1f);
            backward(pk, x, null, opt, 1f / n, lr);
            opt.endStep();
            return new BatchResult(lossSum, correct);
        } finally {
            user.exit();
        }
    }

    // A batch's labels or targets that do not cover it failed inside the loss kernel (an array index out of bounds), after the
    // forward pass; a null loss or optimizer failed half-way through the step.
    static void checkTargets(int n, int[] labels, int offset, DenseMatrix targets, Loss loss, Optimizer opt, int outputs) {
        Objects.requireNonNull(loss, "loss");
        Objects.requireNonNull(opt, "opt");
        if (labels != null && (offset < 0 || (long) offset + n > labels.length)) {
            throw new IllegalArgumentException("labels: a batch of " + n + " samples from offset " + offset + " needs labels["
                    + offset + " .. " + ((long) offset + n - 1) + "], got " + labels.length + " labels");
        }
        if (targets != null && (targets.rows() != outputs || targets.cols() < n)) {
            throw new IllegalArgumentException("targets: expected " + outputs + " rows (the outputs) and at least " + n + " columns (the batch), got "
                    + targets.rows() + " x " + targets.cols());
        }
        if (labels == null && (targets == null || loss.classifies())) {
            throw new IllegalArgumentException("labels: null, but the loss " + loss.getClass().getSimpleName() + " needs "
                    + (loss.classifies() ? "labels" : "labels or targets"));
        }
    }

    /**
     * The training forward pass (dropout on hidden layers, masks keyed by {@code step}); returns a view
     * of the output activations. Follow it with a loss written into {@link #outputGradient} and
     * {@link #backward}; {@link #trainBatch} is the three together.
     */
    public DenseMatrix forwardTrain(ParallelKernels pk, DenseMatrix x, long step) {
        user.enter();
        try {
            int n = x.cols();
            ensureCapacity(n);
            lastBatch = 0;
            int last = layers.size() - 1;
            DenseMatrix in = x;
            for (int l = 0; l <= last; l++) {
                DenseMatrix zl = z[l].columns(n), al = a[l].columns(n);
                layers.get(l).forward(pk, in, zl, al);
                if (l < last && config.dropout() > 0) {
                    DenseMatrix dl = dropped[l].columns(n);
                    new Dropout(config.dropout(), dropoutSeed).apply(pk, step, l, al, mask[l].columns(n), dl);
                    in = dl;
                } else {
                    in = al;
                }
            }
            return a[last].columns(n);
        } finally {
            user.exit();
        }
    }

    /**
     * Where the loss writes dLoss/d(output activations) for a batch of {@code n} before {@link #backward}.
     *
     * @throws IllegalStateException if the network is closed, or no {@link #forwardTrain} has made the training buffers
     */
    public DenseMatrix outputGradient(int n) {
        requireTrainingPass();
        return grad[layers.size() - 1].columns(n);
    }

    // A closed network, or one that has not run forwardTrain, failed with a NullPointerException from its missing buffers.
    private void requireTrainingPass() {
        requireOpen();
        if (z == null) throw new IllegalStateException("no training forward pass (forwardTrain) to back-propagate");
    }

    /**
     * Back-propagates the gradient in {@link #outputGradient} through the batch {@code x} of the last
     * {@link #forwardTrain} and updates every layer (gradients scaled by {@code scale}); with
     * {@code gradInput} not null also writes dLoss/dx there (for a network that feeds this one). The
     * caller ends the optimizer step.
     *
     * @throws IllegalStateException if the network is closed, or no {@link #forwardTrain} has made the training buffers
     */
    public void backward(ParallelKernels pk, DenseMatrix x, DenseMatrix gradInput, Optimizer opt, float scale, float lr) {
        user.enter();
        try {
            requireTrainingPass();
            int n = x.cols();
            int last = layers.size() - 1;
            for (int l = last; l >= 0; l--) {
                DenseMatrix input = l == 0 ? x : dropped[l - 1].columns(n);
                DenseMatrix gradIn = l > 0 ? grad[l - 1].columns(n) : gradInput;
                layers.get(l).backward(pk, input, z[l].columns(n), a[l].columns(n), grad[l].columns(n), gradIn, opt, scale, lr);
                if (l > 0 && config.dropout() > 0) Dropout.backward(pk, mask[l - 1].columns(n), gradIn);
            }
            for (int l = 0; l <= last; l++) {
                // forward, weight gradient, and (when its input gradient is needed) the transposed product
                int products = l == 0 && gradInput == null ? 2 : 3;
                SparseLinear layer = layers.get(l);
                trainingFlops += 2L * products * layer.connections() * n;
                denseTrainingFlops += 2L * products * layer.in() * layer.out() * n;
            }
            lastInput = x;
            lastBatch = n;
        } finally {
            user.exit();
        }
    }

    /** Correct argmax predictions against {@code labels[offset + c]}; 0 when labels is null. */
    public static int countCorrect(DenseMatrix out, int[] labels, int offset) {
        if (labels == null) return 0;
        int correct = 0;
        for (int c = 0; c < out.cols(); c++) if (Argmax.ofColumn(out, c) == labels[offset + c]) correct++;
        return correct;
    }

    /** The row with the largest value in column {@code c}: {@link Argmax#ofColumn}, which breaks ties and treats NaN as every prediction does. */
    public static int argmax(DenseMatrix out, int c) {
        return Argmax.ofColumn(out, c);
    }

    /**
     * Evolves every layer's topology by {@code fraction}, with no batch gradient (rules that need one
     * refuse); returns the reports in layer order.
     */
    public List<TopologyEvolution.Report> evolve(TopologyEvolution evolution, double fraction, RandomStream rnd) {
        return evolve(evolution, fraction, 1, rnd, null);
    }

    /**
     * Evolves every layer's topology by {@code fraction}, each regrowing as many as it lost; returns the
     * reports in layer order. Rules that need a gradient get each layer's gradient on the latest training
     * batch, computed on {@code pk}, which is available until the next training forward pass
     * ({@link #predict} in between does not disturb it).
     */
    @Override
    public List<TopologyEvolution.Report> evolve(TopologyEvolution evolution, double fraction, RandomStream rnd, ParallelKernels pk) {
        return evolve(evolution, fraction, 1, rnd, pk);
    }

    /** As {@link #evolve(TopologyEvolution, double, RandomStream, ParallelKernels)}, regrowing {@code regrowth} times as many as each layer lost. */
    @Override
    public List<TopologyEvolution.Report> evolve(TopologyEvolution evolution, double fraction, double regrowth, RandomStream rnd,
                                                 ParallelKernels pk) {
        user.enter();
        try {
            requireOpen();
            evolution.beforeUpdate(layers, fraction);
            return evolveLayers(evolution, fraction, regrowth, rnd, pk);
        } finally {
            user.exit();
        }
    }

    // The update without announcing it to the prune rule: MultiHeadMlp announces its backbone's and heads' layers as one network.
    List<TopologyEvolution.Report> evolveLayers(TopologyEvolution evolution, double fraction, double regrowth, RandomStream rnd,
                                                ParallelKernels pk) {
        user.enter();
        try {
            requireOpen();
            List<TopologyEvolution.Report> reports = new ArrayList<>();
            if (!evolution.grow().needsGradient() && !evolution.prune().needsGradient()) {
                freeBuffers();
                freePredictBuffers();
                lastBatch = 0;
            }
            // split() derives a stream without advancing rnd: draw from rnd first, or every call (every epoch)
            // would replay the same per-layer streams and regrow from the same candidate sequence.
            rnd.nextLong();
            for (int l = 0; l < layers.size(); l++) {
                TopologyEvolution.Report r = evolution.evolve(layers.get(l), fraction, regrowth, rnd.split(l),
                        pk == null ? null : batchGradient(pk, l));
                trainingFlops += r.flops();
                reports.add(r);
            }
            return reports;
        } finally {
            user.exit();
        }
    }

    // Layer l's gradient on the latest training batch, or null when a forward pass has overwritten it.
    private BatchGradient batchGradient(ParallelKernels pk, int l) {
        if (lastBatch == 0) return null;
        int n = lastBatch;
        DenseMatrix input = l == 0 ? lastInput : dropped[l - 1].columns(n);
        return new BatchGradient(pk, input, grad[l].columns(n), 1f / n);
    }

    @Override
    public void forgetTrainingBatch() {
        user.enter();
        try {
            lastBatch = 0;
            lastInput = null;
        } finally {
            user.exit();
        }
    }

    /**
     * Multiply-add FLOPs spent training so far: 2 per connection and sample for each of the forward
     * product, the weight gradient and (beyond the first layer, or into {@link #backward}'s {@code gradInput})
     * the transposed product, counted from
     * each step's live connections, plus what gradient regrowth spent. Element-wise work (activations,
     * loss, biases) is linear in neurons and not counted.
     */
    public long trainingFlops() { return trainingFlops; }

    /** What the same training steps would have cost with every layer dense ({@link #trainingFlops()}'s rule). */
    public long denseTrainingFlops() { return denseTrainingFlops; }

    // Null entries are buffers ensureCapacity never got to when an allocation failed (out of memory)
    // part-way; a NullPointerException here would hide that failure from the user.
    private void freePredictBuffers() {
        if (pz == null) return;
        for (int l = 0; l < pz.length; l++) {
            if (pa[l] != null && pa[l] != pz[l]) pa[l].close();
            if (pz[l] != null) pz[l].close();
        }
        pz = null;
    }

    private void freeBuffers() {
        if (z == null) return;
        for (int l = 0; l < z.length; l++) {
            if (grad[l] != null) grad[l].close();
            if (mask[l] != null) mask[l].close();
            if (dropped[l] != null && dropped[l] != a[l]) dropped[l].close();
            if (a[l] != null && a[l] != z[l]) a[l].close();
            if (z[l] != null) z[l].close();
        }
        z = null;
    }

    /** Whether {@link #close} has been called: a closed network can no longer be used, saved or exported. */
    public boolean isClosed() {
        return closed;
    }

    /** Frees every layer and buffer, each even if another fails. Closing again does nothing. */
    @Override
    public void close() {
        if (closed) return;
        closed = true;
        Closing.all(this::freeBuffers, this::freePredictBuffers, () -> Closing.each(layers, SparseLinear::close));
    }
}
