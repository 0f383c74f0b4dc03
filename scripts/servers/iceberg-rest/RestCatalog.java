// A REST catalog for tests: Apache Iceberg's own REST adapter and servlet (from the
// iceberg-open-api test fixtures) over a JDBC catalog on SQLite, reading table files
// from the local file system, bound to 127.0.0.1:<port>. Prints "READY <port>" once up.
// Usage: java -cp <classpath>:<dir> RestCatalog <port> <sqlite-db> <warehouse-dir>
import java.util.HashMap;
import java.util.Map;
import org.apache.iceberg.CatalogProperties;
import org.apache.iceberg.CatalogUtil;
import org.apache.iceberg.catalog.Catalog;
import org.apache.iceberg.rest.RESTCatalogAdapter;
import org.apache.iceberg.rest.RESTCatalogServlet;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.servlet.ServletContextHandler;
import org.eclipse.jetty.servlet.ServletHolder;

public class RestCatalog {
  public static void main(String[] args) throws Exception {
    int port = Integer.parseInt(args[0]);
    Map<String, String> props = new HashMap<>();
    props.put(CatalogProperties.CATALOG_IMPL, "org.apache.iceberg.jdbc.JdbcCatalog");
    props.put(CatalogProperties.URI, "jdbc:sqlite:file:" + args[1]);
    props.put("jdbc.schema-version", "V1");
    props.put(CatalogProperties.WAREHOUSE_LOCATION, args[2]);
    props.put(CatalogProperties.FILE_IO_IMPL, "org.apache.iceberg.TestTables$LocalFileIO");
    Catalog catalog = CatalogUtil.buildIcebergCatalog("rest_backend", props, null);
    ServletContextHandler context = new ServletContextHandler(ServletContextHandler.NO_SESSIONS);
    context.addServlet(new ServletHolder(new RESTCatalogServlet(new RESTCatalogAdapter(catalog))), "/*");
    Server server = new Server();
    ServerConnector connector = new ServerConnector(server);
    connector.setHost("127.0.0.1");
    connector.setPort(port);
    server.addConnector(connector);
    server.setHandler(context);
    server.start();
    System.out.println("READY " + connector.getLocalPort());
    server.join();
  }
}
