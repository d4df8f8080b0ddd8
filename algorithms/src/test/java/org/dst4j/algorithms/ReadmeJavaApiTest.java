package org.dst4j.algorithms;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Java API examples in the README and in docs/api.md are what someone embedding dst4j copies first, so they
 * must compile against the current API: each is extracted and compiled here (not run: the first trains on
 * Fashion-MNIST).
 */
class ReadmeJavaApiTest {
    // Every ```java block of the '## Java API' section, in order.
    static List<String> javaApiExamples(String readme) {
        int section = readme.indexOf("\n## Java API\n");
        assertThat(section).as("README has a '## Java API' section").isNotNegative();
        int next = readme.indexOf("\n## ", section + 1);
        List<String> blocks = javaBlocks(readme.substring(section, next < 0 ? readme.length() : next));
        assertThat(blocks).as("a ```java block in the Java API section").isNotEmpty();
        return blocks;
    }

    static List<String> javaBlocks(String markdown) {
        Matcher m = Pattern.compile("```java\\n(.*?)```", Pattern.DOTALL).matcher(markdown);
        List<String> blocks = new ArrayList<>();
        while (m.find()) blocks.add(m.group(1));
        return blocks;
    }

    // Compiles the snippet as the body of a method taking `someDataset` and `someNetwork` (the README's placeholders);
    // javac's messages go to `log`.
    static boolean compiles(Path dir, String snippet, StringWriter log) throws Exception {
        // The block's own import lines head the file (a reader copying the block gets them too); the rest is the body.
        StringBuilder imports = new StringBuilder(), body = new StringBuilder();
        for (String line : snippet.split("\n", -1)) (line.startsWith("import ") ? imports : body).append(line).append('\n');
        StringBuilder src = new StringBuilder(imports);
        src.append("class ReadmeExample {\n  static void example(org.dst4j.nn.data.Dataset someDataset, org.dst4j.nn.network.SparseMlp someNetwork)"
                + " throws Exception {\n")
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
    void theJavaApiExamplesCompile(@TempDir Path dir) throws Exception {
        // Surefire runs each module's tests from the module's directory.
        List<String> snippets = new ArrayList<>(javaApiExamples(Files.readString(Path.of("..", "README.md"))));
        List<String> more = javaBlocks(Files.readString(Path.of("..", "docs", "api.md")));
        assertThat(more).as("docs/api.md's growth-region example").isNotEmpty();
        snippets.addAll(more);
        for (int i = 0; i < snippets.size(); i++) {
            Path sub = Files.createDirectories(dir.resolve("block" + i));
            StringWriter log = new StringWriter();
            assertThat(compiles(sub, snippets.get(i), log)).as("Java API example %d (the README's, then docs/api.md's) compiles; javac said:\n%s",
                    i + 1, log).isTrue();
        }
    }

    @Test
    void anApiNameThatDoesNotExistFailsToCompile(@TempDir Path dir) throws Exception {
        // Guards the test above against passing vacuously (say, by compiling an empty block).
        String readme = "intro\n## Java API\n\n```java\nSetConfig c = SetConfig.defaults().withNoSuchOption(3);\n```\n";
        String snippet = javaApiExamples(readme).getFirst();
        assertThat(snippet).contains("withNoSuchOption");
        StringWriter log = new StringWriter();
        assertThat(compiles(dir, snippet, log)).isFalse();
        assertThat(log.toString()).contains("withNoSuchOption");
    }
}
