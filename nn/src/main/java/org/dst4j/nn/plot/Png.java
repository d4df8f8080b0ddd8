package org.dst4j.nn.plot;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Iterator;
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
