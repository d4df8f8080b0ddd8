package org.dst4j.algorithms;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's Java API example is what someone embedding dst4j copies first, so it must compile
 * against the current API: it is extracted from the README and compiled here (not run: it trains on
 * Fashion-MNIST).
 */
class ReadmeJavaApiTest {
    static String javaApiExample(String readme) {
        int section = readme.indexOf("\n## Java API\n");
        assertThat(section).as("README has a '## Java API' section").isNotNegative();
        Matcher m = Pattern.compile("```java\\n(.*?)```", Pattern.DOTALL).matcher(readme);
        assertThat(m.find(section)).as("a ```java block in the Java API section").isTrue();
        return m.group(1);
    }

    // Compiles the snippet as the body of a method taking `someDataset` (the README's placeholder);
    // javac's messages go to `log`.
    static boolean compiles(Path dir, String snippet, StringWriter log) throws Exception {
        // The block's own import lines head the file (a reader copying the block gets them too); the rest is the body.
        StringBuilder imports = new StringBuilder(), body = new StringBuilder();
        for (String line : snippet.split("\n", -1)) (line.startsWith("import ") ? imports : body).append(line).append('\n');
        StringBuilder src = new StringBuilder(imports);
        src.append("class ReadmeExample {\n  static void example(Dataset someDataset) throws Exception {\n")
                .append(body).append("  }\n}\n");
        Path file = dir.resolve("ReadmeExample.java");
        Files.writeString(file, src);
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        assertThat(javac).as("a JDK compiler (tests run on a JDK)").isNotNull();
        return javac.getTask(log, null, null,
                List.of("-classpath", System.getProperty("java.class.path"), "-d", dir.toString(), "-proc:none"),
                null, javac.getStandardFileManager(null, null, null).getJavaFileObjects(file)).call();
    }

    @Test
    void theReadmeJavaApiExampleCompiles(@TempDir Path dir) throws Exception {
        // Surefire runs each module's tests from the module's directory.
        String snippet = javaApiExample(Files.readString(Path.of("..", "README.md")));
        StringWriter log = new StringWriter();
        assertThat(compiles(dir, snippet, log)).as("the README's Java API example compiles; javac said:\n%s", log).isTrue();
    }

    @Test
    void anApiNameThatDoesNotExistFailsToCompile(@TempDir Path dir) throws Exception {
        // Guards the test above against passing vacuously (say, by compiling an empty block).
        String readme = "intro\n## Java API\n\n```java\nSetConfig c = SetConfig.defaults().withNoSuchOption(3);\n```\n";
        String snippet = javaApiExample(readme);
        assertThat(snippet).contains("withNoSuchOption");
        StringWriter log = new StringWriter();
        assertThat(compiles(dir, snippet, log)).isFalse();
        assertThat(log.toString()).contains("withNoSuchOption");
    }
}
