package org.dst4j.nn.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assumptions.assumeThat;

import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.channels.ClosedChannelException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Atomic writes: a target that is not a plain file is written through (renaming over /dev/stdout would
 * replace the device with a file), and a write that fails leaves the previous file and says why.
 */
class AtomicFilesTest {

    @Test
    void aSymbolicLinkStaysALinkAndItsFileIsReplaced(@TempDir Path dir) throws IOException {
        Path real = Files.writeString(dir.resolve("real.csv"), "old");
        Path link = Files.createSymbolicLink(dir.resolve("link.csv"), real);
        AtomicFiles.writeString(link, "new");
        assertThat(Files.isSymbolicLink(link)).isTrue();
        assertThat(Files.readString(real)).isEqualTo("new");
        try (var files = Files.list(dir)) {
            assertThat(files.map(p -> p.getFileName().toString()).sorted().toList()).containsExactly("link.csv", "real.csv");
        }
        // a link to a file not written yet is written through too (not replaced by a file, its target never made)
        Path ahead = Files.createSymbolicLink(dir.resolve("ahead.csv"), Path.of("later.csv"));
        AtomicFiles.writeString(ahead, "first");
        assertThat(Files.isSymbolicLink(ahead)).isTrue();
        assertThat(Files.readString(dir.resolve("later.csv"))).isEqualTo("first");
        Path loop = Files.createSymbolicLink(dir.resolve("loop.csv"), Path.of("loop.csv"));
        assertThatThrownBy(() -> AtomicFiles.writeString(loop, "x")).isInstanceOf(IOException.class)
                .hasMessage("writing " + loop + ": too many levels of symbolic links");
    }

    @Test
    void aNamedPipeIsWrittenInPlaceNotReplaced(@TempDir Path dir) throws Exception {
        Path fifo = dir.resolve("pipe");
        Process mk;
        try {
            mk = new ProcessBuilder("mkfifo", fifo.toString()).start();
        } catch (IOException e) {
            mk = null;
        }
        assumeThat(mk != null && mk.waitFor(10, TimeUnit.SECONDS) && mk.exitValue() == 0).as("mkfifo available").isTrue();
        CompletableFuture<String> read = CompletableFuture.supplyAsync(() -> {
            try {
                return Files.readString(fifo, StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new RuntimeException(e);
            }
        });
        AtomicFiles.writeString(fifo, "through the pipe");
        assertThat(read.get(10, TimeUnit.SECONDS)).isEqualTo("through the pipe");
        assertThat(Files.isRegularFile(fifo)).as("still a pipe").isFalse();
        assertThat(Files.exists(fifo)).isTrue();
    }

    @Test
    void aFailedWriteNamesTheTargetNotTheTemporaryFile(@TempDir Path dir) throws IOException {
        Path blocker = Files.writeString(dir.resolve("afile"), "x");
        Path target = blocker.resolve("out.csv"); // its parent is a file: nothing can be created there
        assertThatThrownBy(() -> AtomicFiles.writeString(target, "y")).isInstanceOf(IOException.class)
                .hasMessageStartingWith("writing " + target + ": ").hasMessageNotContaining(".tmp");
        assertThat(Files.readString(blocker)).isEqualTo("x");
    }

    @Test
    void anInterruptedWriteSaysSoNamingTheTargetAndLeavesThePreviousFile(@TempDir Path dir) throws IOException {
        Path target = Files.writeString(dir.resolve("checkpoint.dst4j"), "previous");
        Thread.currentThread().interrupt();
        try {
            assertThatThrownBy(() -> AtomicFiles.writeString(target, "next")).isInstanceOf(InterruptedIOException.class)
                    .hasMessage("writing " + target + ": interrupted");
            assertThat(Thread.currentThread().isInterrupted()).as("interrupt flag kept").isTrue();
        } finally {
            Thread.interrupted();
        }
        assertThat(Files.readString(target)).isEqualTo("previous");
        try (var files = Files.list(dir)) {
            assertThat(files.map(p -> p.getFileName().toString()).toList()).containsExactly("checkpoint.dst4j");
        }
    }

    @Test
    void anErrorWithoutAMessageIsDescribedByItsType() {
        Path f = Path.of("out", "m.csv");
        assertThat(AtomicFiles.named(f, new IOException()).getMessage()).isEqualTo("writing " + f + ": IOException");
        assertThat(AtomicFiles.named(f, new ClosedChannelException()).getMessage())
                .isEqualTo("writing " + f + ": ClosedChannelException");
    }

    // The file system allows names of 255 bytes; the temporary's 26 more would make a 240-byte name fail "File name too
    // long".
    @Test
    void aNameNearTheFileSystemsLimitIsWrittenAndItsTemporariesAreFound(@TempDir Path dir) throws IOException {
        String name = "p".repeat(236) + ".csv";
        AtomicFiles.writeString(dir.resolve(name), "written");
        assertThat(Files.readString(dir.resolve(name))).isEqualTo("written");
        String wide = "\u00fc".repeat(120); // 240 bytes in UTF-8: cut on a character, never inside one
        AtomicFiles.writeString(dir.resolve(wide), "too");
        assertThat(Files.readString(dir.resolve(wide))).isEqualTo("too");
        // a killed write's temporary of the long name is recognized as one, and only its own
        Path left = Files.writeString(dir.resolve("." + "p".repeat(229) + ".123.tmp"), "half"); // the cut name
        Path other = Files.writeString(dir.resolve("." + "q".repeat(229) + ".456.tmp"), "someone else's");
        AtomicFiles.removeTemporaries(dir, List.of(name));
        assertThat(left).doesNotExist();
        assertThat(other).exists();
    }

    // Not 0644 whatever the umask: under umask 077 predictions are not readable by every user of the machine.
    @Test
    void aWrittenFileHasThePermissionsTheUmaskGives(@TempDir Path dir) throws Exception {
        assumeThat(dir.getFileSystem().supportedFileAttributeViews()).contains("posix");
        assumeThat(Path.of("/bin/sh")).exists();
        Path target = dir.resolve("written.csv");
        String javaBin = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder("/bin/sh", "-c", "umask 027 && exec \"$0\" -cp \"$1\" \"$2\" \"$3\"",
                javaBin, System.getProperty("java.class.path"), WriteOne.class.getName(), target.toString()).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(output).isZero();
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(target))).isEqualTo("rw-r-----");
    }

    /** Writes its argument's file with {@link AtomicFiles}, for {@link #aWrittenFileHasThePermissionsTheUmaskGives}. */
    public static final class WriteOne {
        public static void main(String[] args) throws IOException {
            if (args.length > 1) System.out.println("before");
            AtomicFiles.writeString(Path.of(args[0]), args.length > 1 ? "x\n" : "x");
            if (args.length > 1) System.out.println("after");
        }
    }

    // '--output /dev/stdout >> job.log': /dev/stdout is then a link to the regular file job.log, which an atomic write
    // would replace with the predictions, losing everything printed before, and the summary printed after going
    // nowhere.
    @Test
    void standardOutputRedirectedIntoAFileIsWrittenThroughNotReplaced(@TempDir Path dir) throws Exception {
        assumeThat(Path.of("/dev/stdout")).exists();
        Path log = Files.writeString(dir.resolve("job.log"), "earlier job output\n");
        String javaBin = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(javaBin, "-cp", System.getProperty("java.class.path"), WriteOne.class.getName(), "/dev/stdout", "printed")
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).redirectError(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(Files.readString(log)).isEqualTo("earlier job output\nbefore\nx\nafter\n");
    }

    // The same for another descriptor ('--output /dev/fd/3 3>>log'): appended to, not replaced.
    @Test
    void aDescriptorOpenOnAFileIsAppendedTo(@TempDir Path dir) throws IOException {
        assumeThat(Path.of("/proc/self/fd")).isDirectory();
        Path log = Files.writeString(dir.resolve("fd.log"), "kept\n");
        Object inode = Files.getAttribute(log, "unix:ino");
        try (var open = new FileOutputStream(log.toFile(), true)) {
            Path fd = null;
            try (var fds = Files.list(Path.of("/proc/self/fd"))) {
                for (Path f : fds.toList()) {
                    try {
                        if (Files.readSymbolicLink(f).equals(log)) fd = f;
                    } catch (IOException gone) {
                        // the listing's own descriptor
                    }
                }
            }
            assertThat(fd).isNotNull();
            AtomicFiles.writeString(Path.of("/dev/fd").resolve(fd.getFileName()), "appended\n");
        }
        assertThat(Files.readString(log)).isEqualTo("kept\nappended\n");
        assertThat(Files.getAttribute(log, "unix:ino")).isEqualTo(inode);
        assertThat(AtomicFiles.descriptor(dir.resolve("fd.log"))).isEqualTo(-1);
    }

    // A body that fails, with an unchecked exception as with an IOException, leaves the previous file and no temporary.
    @Test
    void aBodyThatFailsLeavesThePreviousFileAndNoTemporary(@TempDir Path dir) throws IOException {
        Path target = Files.writeString(dir.resolve("model.json"), "previous");
        IllegalStateException bug = new IllegalStateException("bug in the writer");
        assertThatThrownBy(() -> AtomicFiles.write(target, out -> {
            out.write("half".getBytes(StandardCharsets.UTF_8));
            throw bug;
        })).isSameAs(bug);
        assertThatThrownBy(() -> AtomicFiles.write(target, out -> {
            out.write("half".getBytes(StandardCharsets.UTF_8));
            throw new IOException("No space left on device");
        })).isInstanceOf(IOException.class).hasMessage("writing " + target + ": No space left on device");
        assertThat(Files.readString(target)).isEqualTo("previous");
        try (var files = Files.list(dir)) {
            assertThat(files.map(p -> p.getFileName().toString()).toList()).containsExactly("model.json");
        }
    }

    // A killed write of a short name leaves ".NAME.DIGITS.tmp": found by its name, another file's left alone.
    @Test
    void theTemporariesOfAShortNameAreFoundAndOnlyThose(@TempDir Path dir) throws IOException {
        Path kept = Files.writeString(dir.resolve("m.csv"), "written");
        Path left = Files.writeString(dir.resolve(".m.csv.123.tmp"), "half");
        Path other = Files.writeString(dir.resolve(".n.csv.456.tmp"), "someone else's");
        Path notOne = Files.writeString(dir.resolve(".m.csv.tmp"), "no digits: not a temporary of ours");
        AtomicFiles.removeTemporaries(dir, List.of("m.csv"));
        assertThat(left).doesNotExist();
        assertThat(kept).hasContent("written");
        assertThat(other).exists();
        assertThat(notOne).exists();
    }

    @Test
    void descriptorsAreToldFromFilesAndAnotherProcesssFromThisOnes(@TempDir Path dir) throws IOException {
        assumeThat(Path.of("/proc/self/fd")).isDirectory();
        assumeThat(Path.of("/dev/stdout")).exists();
        // /dev/stdout is a link to /proc/self/fd/1
        assertThat(AtomicFiles.isStandardOutput(Path.of("/dev/stdout"))).isTrue();
        assertThat(AtomicFiles.isStandardOutput(Path.of("/dev/stderr"))).isFalse();
        assertThat(AtomicFiles.isStandardOutput(Files.writeString(dir.resolve("1"), "a file named 1"))).isFalse();
        assertThat(AtomicFiles.descriptor(Path.of("/dev/fd/2"))).isEqualTo(2);
        assertThat(AtomicFiles.descriptor(Path.of("/proc/self/fd/0"))).isZero();
        // another process's standard output is not ours: written in place as any other descriptor (3), never through System.out
        ProcessHandle parent = ProcessHandle.current().parent().orElse(null);
        assumeThat(parent).isNotNull();
        Path theirs = Path.of("/proc", Long.toString(parent.pid()), "fd", "1");
        assumeThat(theirs.getParent()).isDirectory();
        assertThat(AtomicFiles.descriptor(theirs)).isEqualTo(3);
    }

    @Test
    void deleteTreeDeletesADirectoryWithEverythingBelowButNotWhatALinkPointsTo(@TempDir Path dir) throws IOException {
        Path tree = Files.createDirectories(dir.resolve("run/a/b"));
        Files.writeString(tree.resolve("f"), "x");
        Files.writeString(dir.resolve("run/g"), "y");
        Path elsewhere = Files.createDirectories(dir.resolve("elsewhere"));
        Path inside = Files.writeString(elsewhere.resolve("keep"), "z");
        Path link = Files.createSymbolicLink(dir.resolve("link"), elsewhere);
        AtomicFiles.deleteTree(dir.resolve("run"));
        assertThat(dir.resolve("run")).doesNotExist();
        AtomicFiles.deleteTree(link);
        assertThat(Files.exists(link, LinkOption.NOFOLLOW_LINKS)).isFalse();
        assertThat(inside).hasContent("z");
        AtomicFiles.deleteTree(dir.resolve("never")); // nothing to delete: no error
    }

    @Test
    void anErrorThatAlreadyNamesTheFileIsKeptAndAGivenReasonIsUsed() {
        Path f = Path.of("out", "m.csv");
        IOException named = new IOException("disk full while writing " + f);
        assertThat(AtomicFiles.named(f, named)).isSameAs(named);
        assertThat(AtomicFiles.why(new NoSuchFileException("a", null, "gone with the mount"))).isEqualTo("gone with the mount");
        assertThat(AtomicFiles.why(new NoSuchFileException("a"))).isEqualTo("no such file or directory");
    }
}
