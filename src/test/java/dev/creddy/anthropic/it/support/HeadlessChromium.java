package dev.creddy.anthropic.it.support;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.logging.Level;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.logging.LoggingPreferences;

/**
 * Debian's {@code chromium}, headless, driven through Debian's {@code chromium-driver} (both from
 * PATH's usual place, installed by {@code .ci/run}): never a browser or driver that Selenium would
 * download. A fresh profile per instance under {@code target/}, the browser's own network chatter
 * switched off (so the performance log shows only what the page asks for), and the performance and
 * console logs kept. {@link #close()} quits the driver, which stops both processes.
 */
public final class HeadlessChromium implements AutoCloseable {

    private static final String BROWSER = "/usr/bin/chromium";
    private static final String DRIVER = "/usr/bin/chromedriver";

    private final ChromeDriver driver;
    private final Path profile;
    private final List<LogEntry> performance = new ArrayList<>();
    private final java.util.Set<String> bodiesRead = new java.util.HashSet<>();

    public HeadlessChromium() {
        try {
            profile = Files.createTempDirectory(Files.createDirectories(Path.of("target")), "chromium-profile-");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        ChromeOptions options = new ChromeOptions();
        options.setBinary(BROWSER);
        options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-default-apps", "--disable-extensions", "--disable-dev-shm-usage", "--window-size=1280,900",
                "--user-data-dir=" + profile.toAbsolutePath());
        LoggingPreferences logs = new LoggingPreferences();
        logs.enable(LogType.PERFORMANCE, Level.ALL);
        logs.enable(LogType.BROWSER, Level.ALL);
        options.setCapability("goog:loggingPrefs", logs);
        options.setExperimentalOption("perfLoggingPrefs", Map.of("enableNetwork", true, "enablePage", false));
        ChromeDriverService service = new ChromeDriverService.Builder().usingDriverExecutable(new File(DRIVER))
                .usingAnyFreePort().build();
        driver = new ChromeDriver(service, options);
        driver.manage().timeouts().pageLoadTimeout(Duration.ofSeconds(30)).scriptTimeout(Duration.ofSeconds(30));
    }

    /** Whether this machine has the browser and its driver. */
    public static boolean installed() {
        return new File(BROWSER).canExecute() && new File(DRIVER).canExecute();
    }

    public ChromeDriver driver() {
        return driver;
    }

    public void size(int width, int height) {
        driver.manage().window().setSize(new Dimension(width, height));
    }

    /** Saves what the page shows now as {@code target/console-screenshots/<name>.png}. */
    public Path screenshot(String name) {
        try {
            Path directory = Files.createDirectories(Path.of("target", "console-screenshots"));
            Path file = directory.resolve(name + ".png");
            Files.write(file, driver.getScreenshotAs(OutputType.BYTES));
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Every performance log entry since the browser started (CDP events as JSON). */
    public List<LogEntry> performanceLog() {
        performance.addAll(driver.manage().logs().get(LogType.PERFORMANCE).getAll());
        return List.copyOf(performance);
    }

    /**
     * Every response the browser received since the last call whose body it still holds, as status,
     * URL and body, read through the DevTools protocol ({@code Network.getResponseBody}, which any
     * Chromium version answers). Responses of pages already left may be gone: call it before a reload.
     */
    public List<Received> responsesReceived() {
        List<Received> received = new ArrayList<>();
        for (LogEntry entry : performanceLog()) {
            jakarta.json.JsonObject message = jakarta.json.Json.createReader(new java.io.StringReader(entry.getMessage()))
                    .readObject().getJsonObject("message");
            if (!message.getString("method").equals("Network.responseReceived")) {
                continue;
            }
            jakarta.json.JsonObject params = message.getJsonObject("params");
            String requestId = params.getString("requestId");
            if (!bodiesRead.add(requestId)) {
                continue;
            }
            jakarta.json.JsonObject response = params.getJsonObject("response");
            try {
                Map<String, Object> body = driver.executeCdpCommand("Network.getResponseBody", Map.of("requestId", requestId));
                received.add(new Received(response.getInt("status"), response.getString("url"),
                        response.getJsonObject("headers").toString(), String.valueOf(body.get("body"))));
            } catch (org.openqa.selenium.WebDriverException e) {
                // No body (a 204, a redirect) or no longer kept: nothing to read.
            }
        }
        return received;
    }

    /** A response as the browser received it. */
    public record Received(int status, String url, String headers, String body) {
    }

    /** The console messages since the last call (CSP violations show up here). */
    public List<LogEntry> consoleLog() {
        return driver.manage().logs().get(LogType.BROWSER).getAll();
    }

    @Override
    public void close() {
        driver.quit();
    }
}
