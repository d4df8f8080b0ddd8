package org.dst4j.nn.plot;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.function.Supplier;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriter;
import javax.imageio.stream.ImageOutputStream;
import javax.imageio.stream.MemoryCacheImageOutputStream;
import org.dst4j.nn.io.AtomicFiles;

// Every chart's PNG goes out here. Through a memory cache, not ImageIO.write's default file cache: that cache's
// temporary file is registered with ImageIO's own shutdown hook (StreamCloser), which threw a NullPointerException,
// stack trace and all, when a Ctrl-C interrupted a chart being written.
final class Png {
    private Png() {}

    /**
     * {@code render}'s image, drawn on a thread of its own. Java2D clears the drawing thread's interrupt flag when
     * it draws text (its font files are read through interruptible channels, and it retries a read an interrupt
     * closed): drawn on the training thread, a chart lost the interrupt of a Ctrl-C or of an API caller, and
     * training ran on to its last epoch.
     *
     * @throws InterruptedIOException if the calling thread is interrupted before or while the image is drawn
     *     (its flag stays set)
     */
    static BufferedImage rendered(Path file, Supplier<BufferedImage> render) throws InterruptedIOException {
        if (Thread.currentThread().isInterrupted()) throw new InterruptedIOException("writing " + file + ": interrupted");
        FutureTask<BufferedImage> task = drawing(render);
        try {
            return task.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            InterruptedIOException i = new InterruptedIOException("writing " + file + ": interrupted");
            i.initCause(e);
            throw i;
        } catch (ExecutionException e) {
            throw unchecked(e);
        }
    }

    /**
     * {@code draw}'s image, drawn on a thread of its own (see {@link #rendered}) for a caller that cannot be told of an
     * interrupt: waits for the image whatever happens, then leaves an interrupt that arrived meanwhile set.
     */
    static BufferedImage drawnApart(Supplier<BufferedImage> draw) {
        FutureTask<BufferedImage> task = drawing(draw);
        boolean interrupted = false;
        try {
            while (true) {
                try {
                    return task.get();
                } catch (InterruptedException e) {
                    interrupted = true;
                } catch (ExecutionException e) {
                    throw unchecked(e);
                }
            }
        } finally {
            if (interrupted) Thread.currentThread().interrupt();
        }
    }

    private static FutureTask<BufferedImage> drawing(Supplier<BufferedImage> draw) {
        FutureTask<BufferedImage> task = new FutureTask<>(draw::get);
        Thread.ofPlatform().name("dst4j-chart").daemon().start(task);
        return task;
    }

    private static RuntimeException unchecked(ExecutionException e) {
        switch (e.getCause()) {
            case RuntimeException r -> throw r;
            case Error r -> throw r;
            default -> throw new IllegalStateException(e.getCause());
        }
    }

    static void write(Path file, BufferedImage img) throws IOException {
        Iterator<ImageWriter> writers = ImageIO.getImageWritersByFormatName("png");
        if (!writers.hasNext()) throw new IOException("cannot write " + file + ": no PNG writer in this Java runtime");
        ImageWriter writer = writers.next();
        try {
            AtomicFiles.write(file, out -> {
                try (ImageOutputStream stream = new MemoryCacheImageOutputStream(out)) {
                    writer.setOutput(stream);
                    writer.write(img);
                }
            });
        } finally {
            writer.dispose();
        }
    }
}
