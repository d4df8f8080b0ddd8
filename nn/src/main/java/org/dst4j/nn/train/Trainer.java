package org.dst4j.nn.train;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CancellationException;
import org.dst4j.nn.data.Dataset;
import org.dst4j.nn.data.Standardizer;
import org.dst4j.nn.evolution.TopologyEvolution;
import org.dst4j.nn.loss.Loss;
import org.dst4j.nn.network.Network;
import org.dst4j.nn.network.SparseMlp;
import org.dst4j.nn.optim.LearningRate;
import org.dst4j.nn.optim.Optimizer;
import org.dst4j.runtime.dense.DenseMatrix;
import org.dst4j.runtime.kernel.ParallelKernels;
import org.dst4j.runtime.random.RandomStream;

/**
 * The shuffled mini-batch training loop with topology evolution between epochs (and, when the schedule
 * asks, between steps: {@link org.dst4j.nn.evolution.EvolutionSchedule#afterStep}).
 *
 * <p>Everything random comes from two streams owned by {@link State} (shuffle, evolution) and from
 * dropout masks keyed by the global step, so a run resumed from a saved {@link State} continues
 * exactly as the uninterrupted run would.
 */
public final class Trainer {

    /**
     * How to train. {@code evolution} may be null (static sparse training). With {@code denoise} set the
     * network is an autoencoder: it sees the noisy input and is trained to reproduce the clean one
     * (labels are not used).
     *
     * @param epochs the epochs a run ends after, counting those a resumed {@link State} has done (>= 0)
     * @param batch samples per training batch (>= 1); the last batch of an epoch may be smaller
     * @param learningRate the step size at each epoch and batch
     * @param optimizer updates the weights from their gradients; attached to the network by {@link #run}
     * @param loss what is minimized, and how test samples are scored
     * @param evolution prunes and regrows connections after the epochs and steps its schedule names; null: never
     * @param evalBatch samples per batch when evaluating on the test set (>= 1); changes only memory use
     * @param denoise the input noise of a denoising autoencoder; null: a classifier
     */
    public record Settings(int epochs, int batch, LearningRate learningRate, Optimizer optimizer, Loss loss,
                           TopologyEvolution evolution, int evalBatch, InputNoise denoise) {
        /**
         * Checks the epoch, batch and evaluation-batch counts, and that the learning rate, optimizer and loss are given.
         *
         * @throws IllegalArgumentException naming a count out of range
         * @throws NullPointerException naming {@code learningRate}, {@code optimizer} or {@code loss} if it is null
         */
        public Settings {
            // Unchecked, a null failed in run, after the network's training buffers were made (a null loss after a forward pass).
            Objects.requireNonNull(learningRate, "learningRate");
            Objects.requireNonNull(optimizer, "optimizer");
            Objects.requireNonNull(loss, "loss");
            if (epochs < 0) throw new IllegalArgumentException("epochs must be >= 0, got " + epochs);
            if (batch < 1) throw new IllegalArgumentException("batch must be >= 1, got " + batch);
            if (evalBatch < 1) throw new IllegalArgumentException("eval batch must be >= 1, got " + evalBatch);
        }

        /** A classifier's settings (no denoising). */
        public Settings(int epochs, int batch, LearningRate learningRate, Optimizer optimizer, Loss loss,
                        TopologyEvolution evolution, int evalBatch) {
            this(epochs, batch, learningRate, optimizer, loss, evolution, evalBatch, null);
        }
    }

    /**
     * Where a run is: epochs done, global step, and the random streams' positions. {@link #run} advances
     * it; saved after an epoch (in {@link Listener#epochDone}), it resumes the run exactly.
     */
    public static final class State {
        /** Epochs completed; the next epoch trained is {@code epochsDone + 1} (counting from 1). */
        public int epochsDone;
        /** Batches trained over the whole run; keys the dropout masks, so it must be restored on resume. */
        public long step;
        /** Draws each epoch's sample order. */
        public final RandomStream shuffle;
        /** Draws the connections that topology evolution prunes and regrows. */
        public final RandomStream evolution;

        /** The state of a run about to start its first epoch, or of one resumed with its saved streams (then set the counters too). */
        public State(RandomStream shuffle, RandomStream evolution) {
            this.shuffle = shuffle;
            this.evolution = evolution;
        }
    }

    /** Told after every epoch (metrics written, checkpoint saved, progress shown...). */
    public interface Listener {
        /**
         * Called once an epoch is complete: trained, evaluated and evolved. What is saved here (the
         * network, the optimizer and {@code state}) resumes the run from the next epoch.
         *
         * @param metrics the epoch's figures
         * @param state the run's state after the epoch ({@code epochsDone} counts it)
         */
        void epochDone(EpochMetrics metrics, State state);

        /** Called after each batch; {@code done} of {@code total} batches in this epoch. */
        default void batchDone(int epoch, int done, int total) {}

        /**
         * Called after the epoch's last batch, before the epoch's topology evolution (e.g. to snapshot the
         * network as trained; an update the schedule asked for after that batch's step has already run).
         * It may predict with the network but not train it: evolution may need the last training batch's
         * activations, which only a training pass overwrites.
         */
        default void epochTrained(int epoch, State state) {}

        /**
         * Called after every topology update, after a step or after an epoch, with what it did to each
         * layer (e.g. to log per-layer connection counts). Its own time counts in the epoch's
         * {@link EpochMetrics#epochSeconds}, not in {@link EpochMetrics#evolutionSeconds}.
         *
         * @param epoch the epoch under way (0-based)
         * @param step the steps trained so far in the run
         * @param reports one per layer, in the network's layer order
         */
        default void evolved(int epoch, long step, List<TopologyEvolution.Report> reports) {}
    }

    // Standardized features lie within a few units; raw pixels within 255. Far beyond, overflow is the likely cause.
    private static final float LARGE_INPUT = 1e6f;

    // The hint follows the evidence: the first step's loss comes from the initial weights, which no learning
    // rate made, and inputs far beyond standardized ones overflow floats at any rate.
    private static DivergedException diverged(double loss, long stepsDone, int epoch, int batch, float lr, DenseMatrix x) {
        float largest = 0;
        for (int r = 0; r < x.rows(); r++) for (int c = 0; c < x.cols(); c++) largest = Math.max(largest, Math.abs(x.get(r, c)));
        String scale = "scale the inputs (standardize the features)";
        if (stepsDone == 1) {
            // Only the inputs and the initial weights made it: blame whichever is out of range.
            String first = "the loss of the first batch, before any update, is " + loss + " (its largest input's magnitude: " + largest + "): ";
            return new DivergedException(first + (largest > LARGE_INPUT || !Float.isFinite(largest) ? scale : "the initial weights are too large for the network"));
        }
        String where = "training diverged at epoch " + (epoch + 1) + ", batch " + (batch + 1) + ": the loss became " + loss;
        return new DivergedException(largest > LARGE_INPUT
                ? where + " on a batch with inputs as large as " + largest + " in magnitude; " + scale + ", or try a lower learning rate (now " + lr + ")"
                : where + "; try a lower learning rate (now " + lr + ")");
    }

    /** Training diverged (loss not finite): a user-facing problem with a hint, not a crash. */
    public static final class DivergedException extends RuntimeException {
        /** With the message the user sees: where the loss stopped being finite, and what to try. */
        public DivergedException(String message) {
            super(message);
        }
    }

    /**
     * A run's own file write that failed inside a {@link Listener}, carried out of {@link #run} unchecked so
     * that the algorithm calling it can throw the {@link java.io.IOException} itself. Its own type, so that
     * an {@link java.io.UncheckedIOException} thrown by a caller's progress listener is not taken for one and
     * reaches the caller unchanged.
     */
    public static final class FileWriteException extends UncheckedIOException {
        /** Carries {@code cause}, the write's failure. */
        public FileWriteException(IOException cause) {
            super(cause);
        }
    }

    private final ParallelKernels pk;
    private final Settings settings;

    /**
     * A trainer computing with {@code pk}'s kernels and threads.
     *
     * @param pk the kernels and worker pool every batch, evaluation and evolution runs on
     * @param settings how to train
     */
    public Trainer(ParallelKernels pk, Settings settings) {
        this.pk = pk;
        this.settings = settings;
    }

    /** How this trainer trains. */
    public Settings settings() { return settings; }

    /**
     * Trains from {@code state} until {@code settings.epochs()} are done; {@code test} may be null.
     * Every batch is standardized by {@code input} (null: used as is), so the datasets stay untouched.
     *
     * <p>Interrupting the calling thread stops training before the next batch, or before
     * {@link Listener#epochDone} if the epoch's batches are done (its listener would only fail to write
     * on an interrupted thread). Everything the run allocated is freed.
     *
     * @throws CancellationException if the thread was interrupted, saying after which step and epoch;
     *     the interrupt flag stays set. The network and {@code state} are then part-way through an
     *     epoch: resume from what the last {@link Listener#epochDone} saved.
     * @throws DivergedException if the loss stops being finite
     * @throws IllegalArgumentException before anything is trained, if {@code train} or {@code test} has another
     *     number of features than the network takes, a label of either is not below the network's outputs (without
     *     {@code denoise}), or a denoising network's outputs are not as many as its inputs
     * @throws NullPointerException before anything is trained, if {@code net}, {@code train}, {@code state} or
     *     {@code listener} is null (naming it)
     */
    public void run(Network net, Dataset train, Dataset test, Standardizer input, State state, Listener listener) {
        Objects.requireNonNull(net, "net");
        Objects.requireNonNull(train, "train");
        Objects.requireNonNull(state, "state");
        Objects.requireNonNull(listener, "listener");
        if (train.features() != net.inputs()) {
            throw new IllegalArgumentException("the network takes " + net.inputs() + " inputs but the data has " + train.features() + " features");
        }
        // Before training: at the first evaluation it failed a whole epoch later, in a kernel's shape check naming no set.
        if (test != null && test.features() != net.inputs()) {
            throw new IllegalArgumentException("the network takes " + net.inputs() + " inputs but test set " + test.name() + " has "
                    + test.features() + " features");
        }
        int n = train.samples(), batch = settings.batch(), epochs = settings.epochs();
        int stepsPerEpoch = (n + batch - 1) / batch;
        int[] order = new int[n], labels = new int[n];
        int[] all = train.labels();
        Optimizer opt = settings.optimizer();
        net.attach(opt);
        InputNoise noise = settings.denoise();
        TopologyEvolution evo = settings.evolution();
        if (noise != null && net.outputs() != net.inputs()) {
            throw new IllegalArgumentException("a denoising autoencoder needs as many outputs as inputs, got " + net.inputs() + " -> " + net.outputs());
        }
        if (noise == null) {
            // Mean squared error made such a label a target of all zeros, trained on without a word; cross-entropy
            // refused it only in the first batch that held one.
            requireLabelsWithin("training set", train.name(), all, net.outputs());
            if (test != null) requireLabelsWithin("test set", test.name(), test.labels(), net.outputs());
        }
        try (DenseMatrix x = DenseMatrix.allocate(train.features(), Math.min(batch, Math.max(1, n)));
             DenseMatrix clean = noise == null ? null : DenseMatrix.allocate(train.features(), Math.min(batch, Math.max(1, n)));
             InputNoise.Table fixedNoise = noise == null || noise.freshEachEpoch() || noise.factor() == 0 ? null
                     : noise.precompute(pk.pool(), n, train.features())) {
            while (state.epochsDone < epochs) {
                int epoch = state.epochsDone;
                long t0 = System.nanoTime();
                for (int i = 0; i < n; i++) order[i] = i;
                state.shuffle.shuffle(order);
                for (int i = 0; i < n; i++) labels[i] = all[order[i]];
                double lossSum = 0;
                long correct = 0;
                long stepEvolutionNanos = 0;
                float lr = settings.learningRate().at(epoch, 0, stepsPerEpoch);
                DenseMatrix lastBatch = null;
                for (int b = 0, from = 0; from < n; b++, from += batch) {
                    stopIfInterrupted(state, epoch, b, stepsPerEpoch);
                    int m = Math.min(batch, n - from);
                    DenseMatrix xb = x.columns(m);
                    train.gatherBatch(pk.pool(), order, from, m, xb);
                    if (input != null) input.apply(pk, xb);
                    lr = settings.learningRate().at(epoch, b, stepsPerEpoch);
                    SparseMlp.BatchResult r;
                    if (noise != null) {
                        DenseMatrix target = clean.columns(m);
                        // same shape and stride as x: one copy of the standardized batch is the clean target
                        MemorySegment.copy(x.segment(), 0, clean.segment(), 0, x.segment().byteSize());
                        if (fixedNoise != null) fixedNoise.addTo(pk.pool(), xb, order, from);
                        else noise.apply(pk.pool(), xb, order, from, epoch);
                        r = net.trainBatch(pk, xb, null, from, target, settings.loss(), opt, lr, state.step++);
                    } else {
                        r = net.trainBatch(pk, xb, labels, from, null, settings.loss(), opt, lr, state.step++);
                    }
                    if (!Double.isFinite(r.loss())) throw diverged(r.loss(), state.step, epoch, b, lr, xb);
                    lastBatch = xb;
                    lossSum += r.loss();
                    correct += r.correct();
                    if (evo != null && evo.schedule().afterStep(state.step, epoch, epochs)) {
                        stepEvolutionNanos += evolve(net, evo, epoch, epochs, state, listener);
                    }
                    listener.batchDone(epoch, b + 1, stepsPerEpoch);
                }
                // A batch's loss is computed before its update, so the epoch's last update was never checked: a run that
                // diverged there ended as if trained (or wrote its checkpoint and failed an epoch later). The network's
                // outputs on that batch, after it, show it (the weights can stay finite while the outputs overflow).
                if (lastBatch != null && !finite(net.predict(pk, lastBatch))) {
                    throw new DivergedException("training diverged at epoch " + (epoch + 1) + ", batch " + stepsPerEpoch + ": after its update the network's"
                            + " outputs on that batch are not finite; try a lower learning rate (now " + lr + ")");
                }
                listener.epochTrained(epoch, state);
                long t1 = System.nanoTime();
                // The model as trained, before the topology update (as SET's reference code measures it): after
                // it, the pruned connections are gone and the regrown ones still at zero, and a selected
                // checkpoint (epochTrained) would differ from the epoch's test figures.
                Evaluation ev = test == null || noise != null ? null : Evaluation.of(pk, net, test, input, settings.loss(), settings.evalBatch());
                long t2 = System.nanoTime();
                long epochEvolutionNanos = evo != null && evo.schedule().afterEpoch(epoch, epochs) ? evolve(net, evo, epoch, epochs, state, listener) : 0;
                long t3 = System.nanoTime();
                stopIfInterrupted(state, epoch, stepsPerEpoch, stepsPerEpoch);
                state.epochsDone++;
                long connections = net.connections();
                listener.epochDone(new EpochMetrics(epoch + 1, n == 0 ? 0 : lossSum / n, n == 0 ? 0 : (double) correct / n,
                        ev == null ? Double.NaN : ev.loss(), ev == null ? Double.NaN : ev.accuracy(), connections,
                        ((t1 - t0) + (t3 - t2)) / 1e9, (epochEvolutionNanos + stepEvolutionNanos) / 1e9, (t2 - t1) / 1e9, lr), state);
            }
        } finally {
            // x is freed here, but the network keeps its last training batch (which reads from x) for a
            // later gradient regrowth until told to forget it: a regrowth after the run would read the closed x.
            net.forgetTrainingBatch();
        }
    }

    // Returns the nanoseconds of the update alone: a listener's own work (logging it) is not evolution time.
    private long evolve(Network net, TopologyEvolution evo, int epoch, int epochs, State state, Listener listener) {
        long t0 = System.nanoTime();
        List<TopologyEvolution.Report> reports = net.evolve(evo, evo.schedule().fraction(epoch, epochs),
                evo.schedule().regrowth(epoch, epochs), state.evolution, pk);
        long nanos = System.nanoTime() - t0;
        listener.evolved(epoch, state.step, reports);
        return nanos;
    }

    private static boolean finite(DenseMatrix m) {
        for (int r = 0; r < m.rows(); r++) for (int c = 0; c < m.cols(); c++) if (!Float.isFinite(m.get(r, c))) return false;
        return true;
    }

    // labels: the set's own copy (Dataset.labels() copies them; run already holds the training set's)
    private static void requireLabelsWithin(String what, String name, int[] labels, int outputs) {
        int max = -1;
        for (int y : labels) max = Math.max(max, y);
        if (max >= outputs) throw new IllegalArgumentException(what + " " + name + " has labels up to " + max + ", but the network has " + outputs + " outputs");
    }

    // Checked between batches only: a batch is trained and stepped whole or not at all.
    private static void stopIfInterrupted(State state, int epoch, int batchesDone, int batches) {
        if (!Thread.currentThread().isInterrupted()) return;
        throw new CancellationException("training interrupted after step " + state.step + " (epoch " + (epoch + 1) + ", "
                + batchesDone + " of " + batches + " batches trained); "
                + (epoch == 0 ? "no epoch was completed" : "the last completed epoch is " + epoch));
    }
}
