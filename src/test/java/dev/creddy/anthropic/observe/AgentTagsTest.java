package dev.creddy.anthropic.observe;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

class AgentTagsTest {

    @Test
    void theFirstAgentsKeepTheirNamesAndLaterOnesShareOther() {
        AgentTags tags = new AgentTags(2);
        assertEquals("alpha", tags.tagFor("alpha"));
        assertEquals("beta", tags.tagFor("beta"));
        assertEquals("other", tags.tagFor("gamma"));
        assertEquals("alpha", tags.tagFor("alpha"), "an admitted agent stays admitted");
        assertEquals("other", tags.tagFor("delta"));
        assertEquals("none", tags.tagFor(null), "no caller known");
    }

    @Test
    void zeroKeepsEveryAgentOutOfTheTags() {
        AgentTags tags = new AgentTags(0);
        assertEquals("other", tags.tagFor("alpha"));
        assertEquals("none", tags.tagFor(null));
    }

    @Test
    @Timeout(10)
    void theCapHoldsUnderConcurrentFirstSightings() throws Exception {
        AgentTags tags = new AgentTags(5);
        Set<String> seen = ConcurrentHashMap.newKeySet();
        ExecutorService pool = Executors.newFixedThreadPool(8);
        CountDownLatch start = new CountDownLatch(1);
        try {
            List<Future<?>> runs = new java.util.ArrayList<>();
            for (int t = 0; t < 8; t++) {
                int thread = t;
                runs.add(pool.submit(() -> {
                    start.await();
                    for (int i = 0; i < 200; i++) {
                        seen.add(tags.tagFor("agent-" + ((i * 7 + thread) % 50)));
                    }
                    return null;
                }));
            }
            start.countDown();
            for (Future<?> run : runs) {
                run.get(5, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        Set<String> named = new HashSet<>(seen);
        named.remove("other");
        assertEquals(5, named.size(), "exactly the cap of names, whatever the interleaving: " + seen);
    }
}
