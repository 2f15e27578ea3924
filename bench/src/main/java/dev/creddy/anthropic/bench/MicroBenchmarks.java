package dev.creddy.anthropic.bench;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.profile.GCProfiler;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

/** Runs the JMH benchmarks of {@code dev.creddy.anthropic.bench.micro} and turns them into table rows. */
final class MicroBenchmarks {

    private MicroBenchmarks() {
    }

    static List<String[]> run(boolean quick) throws RunnerException {
        Options options = new OptionsBuilder()
                .include("dev\\.creddy\\.anthropic\\.bench\\.micro\\..*")
                .forks(1)
                .warmupIterations(quick ? 1 : 3)
                .warmupTime(TimeValue.seconds(1))
                .measurementIterations(quick ? 2 : 5)
                .measurementTime(TimeValue.seconds(1))
                .timeUnit(TimeUnit.NANOSECONDS)
                .jvmArgsAppend("-Xmx2g")
                .addProfiler(GCProfiler.class)
                .build();
        Collection<RunResult> results = new Runner(options).run();
        List<String[]> rows = new ArrayList<>();
        for (RunResult result : results) {
            String name = result.getParams().getBenchmark();
            name = name.substring(name.lastIndexOf('.', name.lastIndexOf('.') - 1) + 1);
            Result<?> primary = result.getPrimaryResult();
            Result<?> allocated = result.getSecondaryResults().get("gc.alloc.rate.norm");
            rows.add(new String[] {"`" + name + "`",
                    String.format(Locale.ROOT, "%,.1f %s", primary.getScore(), primary.getScoreUnit()),
                    String.format(Locale.ROOT, "%,.1f", primary.getScoreError()),
                    allocated == null ? "" : String.format(Locale.ROOT, "%,.0f B", allocated.getScore())});
        }
        return rows;
    }
}
