import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.neo4j.configuration.GraphDatabaseSettings;
import org.neo4j.configuration.connectors.BoltConnector;
import org.neo4j.configuration.connectors.HttpConnector;
import org.neo4j.configuration.helpers.SocketAddress;
import org.neo4j.dbms.api.DatabaseManagementService;
import org.neo4j.dbms.api.DatabaseManagementServiceBuilder;
import org.neo4j.graphdb.QueryExecutionException;

/**
 * Runs a Neo4j Community DBMS with a Bolt connector on 127.0.0.1, auth on.
 *
 * Arguments: data directory, Bolt port, page cache size in bytes.
 * The neo4j user's password comes from the HUITONG_NEO4J_PASSWORD environment variable (never argv,
 * which other users can read). SIGTERM shuts the DBMS down cleanly through the shutdown hook.
 */
public class HuitongNeo4j {
    public static void main(String[] args) throws Exception {
        Path dataHome = Path.of(args[0]);
        int port = Integer.parseInt(args[1]);
        long pageCacheBytes = Long.parseLong(args[2]);
        String password = System.getenv("HUITONG_NEO4J_PASSWORD");
        if (password == null || password.length() < 8) {
            System.err.println("HUITONG_NEO4J_PASSWORD must be set (8+ characters)");
            System.exit(2);
        }
        DatabaseManagementService dbms = new DatabaseManagementServiceBuilder(dataHome)
            .setConfig(BoltConnector.enabled, true)
            .setConfig(BoltConnector.listen_address, new SocketAddress("127.0.0.1", port))
            .setConfig(HttpConnector.enabled, false)
            .setConfig(GraphDatabaseSettings.auth_enabled, true)
            .setConfig(GraphDatabaseSettings.pagecache_memory, pageCacheBytes)
            .setConfig(GraphDatabaseSettings.transaction_timeout, Duration.ofMinutes(10))
            .build();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            System.out.println("huitong-neo4j: shutting down");
            dbms.shutdown();
            System.out.println("huitong-neo4j: stopped");
        }));
        try {
            dbms.database("system").executeTransactionally(
                "ALTER USER neo4j SET PASSWORD $password CHANGE NOT REQUIRED",
                Map.of("password", password));
        } catch (QueryExecutionException e) {
            // A restart of the same home: the password is already the one asked for.
            if (!e.getMessage().contains("Old password and new password cannot be the same")) {
                System.err.println("huitong-neo4j: could not set the password: " + e.getMessage());
                dbms.shutdown();
                System.exit(1);
            }
        }
        System.out.println("huitong-neo4j: ready, bolt on 127.0.0.1:" + port);
        Thread.currentThread().join();
    }
}
