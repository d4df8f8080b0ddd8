package org.dst4j.algorithms.cli;

import java.lang.reflect.InvocationTargetException;

/**
 * The jar's entry point, compiled for Java 8 so that an older {@code java} can load it: started by a
 * Java older than 25 it says so in one line (with a JDK 25 it runs {@link Main}) instead of failing with
 * an {@code UnsupportedClassVersionError} trace. {@code java} on PATH is often older than the JDK 25 the
 * project runs on.
 */
public final class Launch {
    static final int REQUIRED = 25;

    private Launch() {}

    public static void main(String[] args) throws Throwable {
        String refusal = refusal(System.getProperty("java.specification.version"), System.getProperty("java.home"));
        if (refusal != null) {
            System.err.println(refusal);
            System.exit(1);
        }
        try {
            Class.forName("org.dst4j.algorithms.cli.Main").getMethod("main", String[].class).invoke(null, (Object) args);
        } catch (InvocationTargetException e) {
            throw missingModule(e.getCause());
        } catch (NoClassDefFoundError e) {
            throw missingModule(e);
        }
    }

    // The algorithms module's own jar (beside dst4j.jar in target/) has this entry point but not the other
    // modules' classes; a missing dst4j class means that jar was started.
    private static Throwable missingModule(Throwable t) {
        if (t instanceof NoClassDefFoundError && String.valueOf(t.getMessage()).startsWith("org/dst4j/")) {
            System.err.println("dst4j: this jar lacks " + t.getMessage().replace('/', '.') + "; run dst4j.jar, the jar that holds every module"
                    + " (algorithms/target/dst4j.jar)");
            System.exit(1);
        }
        return t;
    }

    /** The message for a Java of specification {@code version} ("1.8", "17", "25"), or null if it can run dst4j. */
    static String refusal(String version, String javaHome) {
        int feature;
        try {
            feature = Integer.parseInt(version.startsWith("1.") ? version.substring(2) : version.split("\\.")[0]);
        } catch (RuntimeException e) {
            return null; // an unknown format: let Main try
        }
        if (feature >= REQUIRED) return null;
        return "dst4j needs Java " + REQUIRED + " or later; this java is " + version + " (" + javaHome + "). Run ./dst4j from the project,"
                + " which finds a JDK " + REQUIRED + " itself, or start the jar with a JDK " + REQUIRED + "'s java (e.g. /usr/lib/jvm/temurin-25-jdk-amd64/bin/java -jar dst4j.jar)";
    }
}
