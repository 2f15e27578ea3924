package dev.creddy.anthropic.it.servers;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.stream.Stream;

/** Per-run server directories under {@code target/servers-run}: emptied at the start of each run. Stateless. */
final class RunDirectory {

    private RunDirectory() {
    }

    /** {@code servers-run/<name>}, empty. */
    static Path fresh(String name) throws IOException {
        Path root = Path.of(System.getProperty("creddy.servers.run", "target/servers-run")).toAbsolutePath();
        Path directory = root.resolve(name);
        if (Files.exists(directory)) {
            try (Stream<Path> paths = Files.walk(directory)) {
                for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                    Files.delete(path);
                }
            }
        }
        return Files.createDirectories(directory);
    }

    /** Copies a directory tree, e.g. a distribution's {@code standalone/} to a server base directory. */
    static void copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> paths = Files.walk(from)) {
            for (Path path : paths.toList()) {
                Path target = to.resolve(from.relativize(path).toString());
                if (Files.isDirectory(path)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(path, target, StandardCopyOption.COPY_ATTRIBUTES);
                }
            }
        }
    }
}
