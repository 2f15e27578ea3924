package dev.creddy.anthropic.web;

import dev.creddy.anthropic.usage.Usage;
import dev.creddy.anthropic.usage.UsageLedger.UsageLine;
import dev.creddy.anthropic.usage.UsageLedger.UsagePage;
import jakarta.json.bind.annotation.JsonbNillable;
import jakarta.json.bind.annotation.JsonbProperty;
import jakarta.json.bind.annotation.JsonbPropertyOrder;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The body of {@code GET /v1/usage}, one page of it: the window, the sum over the page's lines, and
 * per agent its sum and its tokens' lines on the page, agents by name and tokens by id. While
 * {@code has_more} is true, passing {@code next} as {@code after} gives the next page (an agent's
 * tokens can go on there).
 */
@JsonbPropertyOrder({"from", "to", "agent", "total", "agents", "hasMore", "next"})
public record UsageReport(String from, String to, String agent, UsageView total, List<AgentUsage> agents,
        @JsonbProperty("has_more") boolean hasMore, @JsonbNillable String next) {

    static UsageReport of(UsageQuery query, UsagePage page) {
        // The page's lines come in the report's order (agent, then id); the grouping keeps it.
        Map<String, List<UsageLine>> byAgent = new LinkedHashMap<>();
        for (UsageLine line : page.lines()) {
            byAgent.computeIfAbsent(line.agentName(), name -> new ArrayList<>()).add(line);
        }
        List<AgentUsage> agents = new ArrayList<>(byAgent.size());
        Usage total = Usage.ZERO;
        for (Map.Entry<String, List<UsageLine>> agent : byAgent.entrySet()) {
            Usage sum = Usage.ZERO;
            List<TokenLine> tokens = new ArrayList<>(agent.getValue().size());
            for (UsageLine line : agent.getValue()) {
                sum = sum.plus(line.usage());
                tokens.add(new TokenLine(line.tokenId(), UsageView.of(line.usage())));
            }
            total = total.plus(sum);
            agents.add(new AgentUsage(agent.getKey(), UsageView.of(sum), tokens));
        }
        return new UsageReport(query.from().toString(), query.to().toString(), query.agent().orElse(null),
                UsageView.of(total), agents, page.hasMore(), page.next().map(UsageCursor::encode).orElse(null));
    }

    /** One agent's sum and its tokens' lines. */
    @JsonbPropertyOrder({"agentName", "usage", "tokens"})
    public record AgentUsage(@JsonbProperty("agent_name") String agentName, UsageView usage, List<TokenLine> tokens) {
    }

    /** One token's usage in the window. */
    @JsonbPropertyOrder({"id", "usage"})
    public record TokenLine(String id, UsageView usage) {
    }
}
