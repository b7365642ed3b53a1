package ai.infrastack.gateway.storage;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/** The embedded database holds key hashes and who called what: only the gateway's user may read it. */
class EmbeddedDatabaseFilesTest {
    @TempDir
    Path dir;

    @Test
    void the_embedded_database_folder_and_files_are_owner_only() throws Exception {
        Path data = dir.resolve("data");
        String url = "jdbc:h2:file:" + data.resolve("gateway") + ";MODE=PostgreSQL;DATABASE_TO_LOWER=TRUE;DEFAULT_NULL_ORDERING=HIGH";
        try (Database db = Database.open(DatabaseUrl.parse(url), 2)) {
            assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(data)));
            List<Path> files;
            try (var list = Files.list(data)) {
                files = list.filter(Files::isRegularFile).toList();
            }
            assertFalse(files.isEmpty(), "the database files exist");
            for (Path f : files) {
                assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(f)), f.toString());
            }
        }
    }

    @Test
    void an_existing_world_readable_folder_is_tightened() throws Exception {
        Path data = Files.createDirectories(dir.resolve("open"));
        Files.setPosixFilePermissions(data, PosixFilePermissions.fromString("rwxr-xr-x"));
        String url = "jdbc:h2:file:" + data.resolve("gateway") + ";MODE=PostgreSQL;DATABASE_TO_LOWER=TRUE;DEFAULT_NULL_ORDERING=HIGH";
        try (Database db = Database.open(DatabaseUrl.parse(url), 2)) {
            assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(data)));
        }
    }
}
