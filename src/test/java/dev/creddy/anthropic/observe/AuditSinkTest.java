package dev.creddy.anthropic.observe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The sink with a real destination that a test can hold: lines keep their order, a destination that
 * blocks makes lines drop (counted) and never makes a caller wait, warnings come at most once a
 * minute, and closing writes what is queued.
 */
@Timeout(30)
class AuditSinkTest {

    private final List<String> written = Collections.synchronizedList(new ArrayList<>());
    private final CountDownLatch released = new CountDownLatch(1);
    private final CountDownLatch firstTaken = new CountDownLatch(1);
    private final AtomicLong clock = new AtomicLong();
    private final List<LogRecord> warnings = Collections.synchronizedList(new ArrayList<>());
    private final Handler warningCapture = new Handler() {
        @Override
        public void publish(LogRecord record) {
            warnings.add(record);
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    };
    private final Logger sinkLogger = Logger.getLogger(AuditSink.class.getName());
    private AuditSink sink;

    @BeforeEach
    void captureWarnings() {
        sinkLogger.addHandler(warningCapture);
    }

    @AfterEach
    void stop() {
        released.countDown();
        if (sink != null) {
            sink.close();
        }
        sinkLogger.removeHandler(warningCapture);
    }

    private static AuditEntry entry(int n) {
        return new AuditEntry("t", "forward", Integer.toString(n), "agent", null, null, "POST", "/v1/messages", 200,
                "completed", 1.0, null, null);
    }

    private static String exchangeOf(String line) {
        return line.replaceAll(".*\"exchange\":\"(\\d+)\".*", "$1");
    }

    /** A destination that takes lines only once the test releases it. */
    private Consumer<String> blocking() {
        return line -> {
            firstTaken.countDown();
            try {
                released.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            written.add(line);
        };
    }

    @Test
    void linesArriveInOrderOnTheWriterThread() throws Exception {
        List<String> threads = Collections.synchronizedList(new ArrayList<>());
        sink = new AuditSink(64, line -> {
            threads.add(Thread.currentThread().getName());
            written.add(line);
        }, clock::get).start();
        for (int i = 0; i < 50; i++) {
            sink.record(entry(i));
        }
        sink.close();
        assertEquals(50, written.size());
        for (int i = 0; i < 50; i++) {
            assertEquals(Integer.toString(i), exchangeOf(written.get(i)));
        }
        assertTrue(threads.stream().allMatch("creddy-audit-writer"::equals), threads.toString());
        assertEquals(0, sink.dropped());
    }

    @Test
    void aBlockedDestinationDropsAndCountsLinesAndNeverMakesTheCallerWait() throws Exception {
        sink = new AuditSink(100, blocking(), clock::get).start();
        sink.record(entry(0));
        assertTrue(firstTaken.await(10, TimeUnit.SECONDS), "the writer took the first line");
        long start = System.nanoTime();
        for (int i = 1; i <= 10_000; i++) {
            sink.record(entry(i));
        }
        long elapsed = System.nanoTime() - start;
        assertTrue(elapsed < TimeUnit.SECONDS.toNanos(5), "recording never waits for the destination: " + elapsed + " ns");
        assertEquals(100, sink.queued(), "the queue is full");
        assertEquals(10_000 - 100, sink.dropped(), "every line the queue could not take is counted");

        released.countDown();
        sink.close();
        assertEquals(101, written.size(), "the line being written and the queued ones, nothing else");
        for (int i = 0; i <= 100; i++) {
            assertEquals(Integer.toString(i), exchangeOf(written.get(i)), "the first lines, in order");
        }
        List<String> warned = warnings.stream().filter(r -> r.getLevel() == Level.WARNING).map(LogRecord::getMessage).toList();
        assertEquals(1, warned.size(), warned.toString());
        assertTrue(warned.get(0).contains("9900 line(s) of creddy.audit dropped"), warned.get(0));
    }

    @Test
    void dropsAreReportedAtMostOnceAMinute() throws Exception {
        // The destination holds the first line of each round until the test lets it go.
        Map<String, CountDownLatch> holds = new ConcurrentHashMap<>();
        Map<String, CountDownLatch> taken = new ConcurrentHashMap<>();
        for (int round = 0; round < 3; round++) {
            holds.put(Integer.toString(round * 10), new CountDownLatch(1));
            taken.put(Integer.toString(round * 10), new CountDownLatch(1));
        }
        sink = new AuditSink(1, line -> {
            String exchange = exchangeOf(line);
            if (holds.containsKey(exchange)) {
                taken.get(exchange).countDown();
                try {
                    holds.get(exchange).await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            written.add(line);
        }, clock::get).start();
        for (int round = 0; round < 3; round++) {
            // Hold the writer on one line, fill the queue (one entry), drop five, let it go.
            String held = Integer.toString(round * 10);
            sink.record(entry(round * 10));
            assertTrue(taken.get(held).await(10, TimeUnit.SECONDS));
            sink.record(entry(round * 10 + 1));
            for (int i = 0; i < 5; i++) {
                sink.record(entry(round * 10 + 2 + i));
            }
            holds.get(held).countDown();
            // Wait for the writer to have written both lines, and so checked for drops after them.
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (written.size() < 2 * (round + 1) && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
            assertEquals(2 * (round + 1), written.size());
            if (round == 1) {
                clock.addAndGet(AuditSink.WARNING_INTERVAL.toNanos() - 1);
            }
        }
        List<String> warned = warnings.stream().map(LogRecord::getMessage).toList();
        assertEquals(1, warned.size(), "a second warning within the minute is held back: " + warned);
        assertTrue(warned.get(0).contains("5 line(s) of creddy.audit dropped:"), warned.get(0));
        clock.addAndGet(1);
        sink.record(entry(99));
        sink.close();
        warned = warnings.stream().map(LogRecord::getMessage).toList();
        assertEquals(2, warned.size(), warned.toString());
        assertTrue(warned.get(1).contains("10 line(s) of creddy.audit dropped in the last minute"), warned.get(1));
        assertEquals(15, sink.dropped());
    }

    @Test
    void afterCloseLinesAreWrittenByTheCaller() {
        sink = new AuditSink(8, written::add, clock::get).start();
        sink.record(entry(1));
        sink.close();
        assertEquals(AuditSink.State.CLOSED, sink.state());
        sink.record(entry(2));
        assertEquals(List.of("1", "2"), written.stream().map(AuditSinkTest::exchangeOf).toList());
    }

    @Test
    void closeGivesUpOnADestinationThatNeverReturnsAndEndsTheWriter() throws Exception {
        sink = new AuditSink(8, blocking(), clock::get).start();
        sink.record(entry(0));
        assertTrue(firstTaken.await(10, TimeUnit.SECONDS));
        for (int i = 1; i <= 8; i++) {
            sink.record(entry(i));
        }
        long start = System.nanoTime();
        sink.close(Duration.ofMillis(300));
        assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(5), "close keeps to its deadline");
        assertEquals(AuditSink.State.CLOSED, sink.state());
        assertTrue(warnings.stream().anyMatch(r -> r.getMessage().contains("not written at shutdown")), warnings.toString());
        // The interrupt ends the writer's wait in the destination; it then leaves without taking more.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (threadAlive() && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertFalse(threadAlive(), "the writer thread ended");
    }

    private static boolean threadAlive() {
        return Thread.getAllStackTraces().keySet().stream().anyMatch(t -> t.getName().equals("creddy-audit-writer"));
    }
}
