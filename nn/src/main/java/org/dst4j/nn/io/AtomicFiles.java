package org.dst4j.nn.io;

import java.io.BufferedOutputStream;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.channels.Channels;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.SecureRandom;
import java.util.Collection;
import java.util.Comparator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Writes files all-or-nothing: into a temporary file beside the target, flushed to disk, then renamed
 * over it. A crash or error leaves the previous file intact; an error leaves no temporary behind, a crash
 * may (see {@link #removeTemporaries}).
 */
public final class AtomicFiles {
    private AtomicFiles() {}

    /** Something that writes a body to a stream. */
    @FunctionalInterface
    public interface Body {
        /** Writes the body to {@code out} (which the caller closes). */
        void writeTo(OutputStream out) throws IOException;
    }

    // The file a chain of symbolic links ends at, existing or not: renamed over, the link became a file, and a link to a
    // file not written yet was replaced so (the shell's '>' writes through it, creating the file).
    private static Path linked(Path target) throws IOException {
        Path file = target;
        for (int hops = 0; Files.isSymbolicLink(file); hops++) {
            if (hops == 40) throw new IOException("writing " + target + ": too many levels of symbolic links");
            Path link = Files.readSymbolicLink(file), parent = file.toAbsolutePath().getParent();
            file = parent == null ? link : parent.resolve(link);
        }
        return file;
    }

    /**
     * Writes {@code body} to {@code target} all-or-nothing. A symbolic link stays a link: the file it
     * points to is replaced. A target that exists but is not a regular file (a device such as
     * {@code /dev/stdout}, a named pipe) is written in place, since renaming over it would replace the
     * device with a file. So is an open file descriptor ({@code /dev/stdout}, {@code /dev/fd/3},
     * {@code /proc/self/fd/1}) whatever it is open on: this process's standard output or error through
     * that stream itself, another descriptor appended to. Errors name {@code target}, not the temporary file.
     *
     * @throws InterruptedIOException if the thread is interrupted (the file channel then closes); the
     *     interrupt flag stays set, and the previous file is left as it was
     */
    public static void write(Path target, Body body) throws IOException {
        int fd = descriptor(target);
        if (fd == 1 || fd == 2) {
            writeStandard(target, fd, body);
            return;
        }
        if (fd >= 0) {
            // Appended: '--output /dev/fd/3 3>>log' must not truncate or replace the log.
            try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(target, StandardOpenOption.WRITE, StandardOpenOption.APPEND), 1 << 16)) {
                body.writeTo(out);
            } catch (IOException e) {
                throw named(target, e);
            }
            return;
        }
        if (Files.exists(target) && !Files.isRegularFile(target)) {
            if (Files.isDirectory(target)) throw new IOException("writing " + target + ": is a directory");
            try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(target), 1 << 16)) {
                body.writeTo(out);
            } catch (IOException e) {
                throw named(target, e);
            }
            return;
        }
        Path file = linked(target);
        Path dir = file.toAbsolutePath().getParent();
        Path tmp = null;
        try {
            if (dir != null) Files.createDirectories(dir);
            tmp = createTemporary(dir != null ? dir : file.toAbsolutePath(), file.getFileName().toString());
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING);
                 OutputStream out = new BufferedOutputStream(Channels.newOutputStream(ch), 1 << 16)) {
                body.writeTo(out);
                out.flush();
                ch.force(true);
            }
            try {
                Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            IOException named = named(target, e);
            deleteAfter(named, tmp);
            throw named;
        } catch (RuntimeException | Error e) {
            deleteAfter(e, tmp);
            throw e;
        }
    }

    /**
     * The number of the open file descriptor of this process that {@code target} names, through its symbolic links
     * ({@code /dev/stdout} is a link to {@code /proc/self/fd/1}, {@code /dev/fd} one to {@code /proc/self/fd}), or -1;
     * a descriptor of another process is reported as 3 (written in place, appended to). Standard output redirected
     * into a file is a link to that regular file: written atomically, the file was replaced by the predictions, and
     * a job's log ('> job.log', '>> job.log', a scheduler's output file) lost everything printed before.
     */
    static int descriptor(Path target) {
        Path p = target.toAbsolutePath();
        try {
            for (int hops = 0; hops < 40; hops++) {
                Path parent = p.getParent(), name = p.getFileName();
                if (parent != null && name != null && name.toString().matches("\\d{1,9}") && Files.isDirectory(parent)) {
                    Path dir = parent.toRealPath();
                    if (dir.getNameCount() == 3 && dir.startsWith("/proc") && dir.getFileName().toString().equals("fd")) {
                        boolean own = dir.getName(1).toString().equals(Long.toString(ProcessHandle.current().pid()));
                        return own ? Integer.parseInt(name.toString()) : 3;
                    }
                }
                if (!Files.isSymbolicLink(p)) return -1;
                Path link = Files.readSymbolicLink(p);
                p = parent == null ? link : parent.resolve(link);
            }
        } catch (IOException | RuntimeException e) {
            return -1; // not a descriptor we can tell: written as any file
        }
        return -1;
    }

    // Through the stream the process prints on, so that what it printed before stays before (and after, after).
    private static void writeStandard(Path target, int fd, Body body) throws IOException {
        PrintStream printing = fd == 1 ? System.out : System.err;
        printing.flush();
        OutputStream descriptor = new FileOutputStream(fd == 1 ? FileDescriptor.out : FileDescriptor.err);
        // Not closed: that would close the process's own standard output.
        OutputStream unclosed = new FilterOutputStream(descriptor) {
            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                out.write(b, off, len);
            }

            @Override
            public void close() throws IOException {
                flush();
            }
        };
        try (OutputStream out = new BufferedOutputStream(unclosed, 1 << 16)) {
            body.writeTo(out);
        } catch (IOException e) {
            throw named(target, e);
        }
    }

    /** Whether {@code target} names this process's standard output ({@code /dev/stdout}, {@code /dev/fd/1}, ...). */
    public static boolean isStandardOutput(Path target) {
        return descriptor(target) == 1;
    }

    /**
     * A new empty temporary for {@code name} in {@code dir}, ".NAME.DIGITS.tmp", created as any new file is: 0666
     * less the umask. (createTempFile's 0600, then set to 0644, ignored the umask: 077 left predictions readable by
     * every user of a shared machine, 002 kept a group from replacing its project's files.)
     */
    private static Path createTemporary(Path dir, String name) throws IOException {
        String prefix = "." + temporaryStem(name) + ".";
        while (true) {
            try {
                return Files.createFile(dir.resolve(prefix + Long.toUnsignedString(RANDOM.nextLong()) + ".tmp"));
            } catch (FileAlreadyExistsException taken) {
                // another write's temporary: draw again
            }
        }
    }

    private static final SecureRandom RANDOM = new SecureRandom();

    // Most file systems allow names of 255 bytes; the temporary adds 26 (".", ".", 20 digits, ".tmp"), so a name
    // the target could have (240 bytes) made one too long: "File name too long". Such a name is cut, on a character.
    static final int MAX_STEM_BYTES = 255 - 26;

    /** The part of a temporary's name that stands for the target's {@code name}: the name, cut to fit when long. */
    static String temporaryStem(String name) {
        if (name.getBytes(StandardCharsets.UTF_8).length <= MAX_STEM_BYTES) return name;
        int end = 0, bytes = 0;
        while (end < name.length()) {
            int cp = name.codePointAt(end);
            int b = new String(Character.toChars(cp)).getBytes(StandardCharsets.UTF_8).length;
            if (bytes + b > MAX_STEM_BYTES) break;
            bytes += b;
            end += Character.charCount(cp);
        }
        return name.substring(0, end);
    }

    // A temporary that cannot be deleted must not hide why the write failed.
    private static void deleteAfter(Throwable failure, Path tmp) {
        if (tmp == null) return;
        try {
            Files.deleteIfExists(tmp);
        } catch (IOException | RuntimeException e) {
            failure.addSuppressed(e);
        }
    }

    /**
     * {@code e} with the file it concerns in its message. A full disk or an I/O error reports only
     * "No space left on device"; a file-system exception about {@code file} itself keeps its type, one
     * about another path (the temporary file, a parent directory) is reported as writing {@code file}.
     * An interrupt closes a file channel with an exception that has no message: it becomes an
     * {@link InterruptedIOException} saying "interrupted", also when a writer wrapped it in one of its own
     * (ImageIO's "I/O error writing PNG file!"); another exception without a message is described by its type.
     */
    public static IOException named(Path file, IOException e) {
        for (Throwable c = e; c != null; c = c.getCause()) {
            if (c instanceof ClosedByInterruptException) return interrupted("writing " + file, e);
        }
        if (e instanceof FileSystemException f) {
            if (file.toString().equals(f.getFile())) return e;
            return new IOException("writing " + file + ": " + reason(f), e);
        }
        if (e.getMessage() != null && e.getMessage().contains(file.toString())) return e;
        return new IOException("writing " + file + ": " + (e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName()), e);
    }

    /** An {@link InterruptedIOException} "{@code what}: interrupted" caused by {@code cause}. */
    static InterruptedIOException interrupted(String what, Throwable cause) {
        InterruptedIOException i = new InterruptedIOException(what + ": interrupted");
        i.initCause(cause);
        return i;
    }

    private static String reason(FileSystemException f) {
        return f.getReason() != null ? f.getReason() : why(f) + " (" + f.getFile() + ")";
    }

    /**
     * What went wrong, in words: NoSuchFileException and its kin carry only the path as their message
     * ("no such file or directory", "permission denied", ...; the exception's own reason if it has one).
     */
    public static String why(FileSystemException f) {
        if (f.getReason() != null) return f.getReason();
        return switch (f) {
            case NoSuchFileException x -> "no such file or directory";
            case AccessDeniedException x -> "permission denied";
            case FileAlreadyExistsException x -> "already exists";
            case NotDirectoryException x -> "not a directory";
            case DirectoryNotEmptyException x -> "directory not empty";
            default -> f.getClass().getSimpleName();
        };
    }

    /**
     * Makes {@code dir} and its parents for a run that writes {@code files} into it, and refuses, before anything is
     * written, a run whose outputs could not be written: some of them are written only when the run ends, and found
     * blocked then, the run's work would be lost.
     *
     * @throws IOException naming the path in the way: a file where {@code dir} or one of its parents must be, or a
     *     directory where one of {@code files} goes
     */
    public static void createDirectoryFor(Path dir, Collection<String> files) throws IOException {
        for (String f : files) {
            Path p = dir.resolve(f);
            if (Files.isDirectory(p)) throw new IOException(p + ": a directory, where the run writes a file");
        }
        try {
            Files.createDirectories(dir);
        } catch (FileSystemException e) {
            for (Path p = dir.toAbsolutePath(); p != null; p = p.getParent()) {
                if (Files.exists(p) && !Files.isDirectory(p)) throw new IOException(p + ": a file, where the run needs a directory", e);
            }
            throw named(dir, e);
        }
    }

    /**
     * Deletes the temporaries of writes of {@code names} into {@code dir} that never finished (a process killed
     * between creating one and renaming it); the files written in full, and other files' temporaries (another
     * process may be writing them now), are untouched.
     */
    public static void removeTemporaries(Path dir, Collection<String> names) throws IOException {
        if (!Files.isDirectory(dir)) return;
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir, ".*.tmp")) {
            for (Path p : entries) {
                // "." + the target's name (cut when long: temporaryStem) + "." + digits + ".tmp"
                Matcher m = TEMPORARY.matcher(p.getFileName().toString());
                if (m.matches() && names.stream().anyMatch(n -> temporaryStem(n).equals(m.group(1)))
                        && Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }

    private static final Pattern TEMPORARY = Pattern.compile("\\.(.+)\\.\\d+\\.tmp");

    /** Deletes {@code p} and, when it is a directory (not a link to one), everything below it; nothing when it does not exist. */
    public static void deleteTree(Path p) throws IOException {
        if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
            try (Stream<Path> walk = Files.walk(p)) {
                for (Path q : walk.sorted(Comparator.reverseOrder()).toList()) Files.delete(q);
            }
        } else {
            Files.deleteIfExists(p);
        }
    }

    /** Writes {@code text} as UTF-8, atomically (see {@link #write}). */
    public static void writeString(Path target, String text) throws IOException {
        write(target, out -> out.write(text.getBytes(StandardCharsets.UTF_8)));
    }
}
