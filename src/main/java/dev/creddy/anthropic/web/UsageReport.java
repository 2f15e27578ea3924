package dev.creddy.anthropic.web;

import dev.creddy.anthropic.usage.Usage;
import dev.creddy.anthropic.usage.UsageLedger.UsageLine;
import jakarta.json.bind.annotation.JsonbProperty;
import jakarta.json.bind.annotation.JsonbPropertyOrder;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The body of {@code GET /v1/usage}: the window, the sum over it, and per agent its sum and its
 * tokens' lines, agents by name and tokens by id.
 */
@JsonbPropertyOrder({"from", "to", "agent", "total", "agents"})
public record UsageReport(String from, String to, String agent, UsageView total, List<AgentUsage> agents) {

    static UsageReport of(UsageQuery query, List<UsageLine> lines) {
        Map<String, List<UsageLine>> byAgent = new TreeMap<>();
        for (UsageLine line : lines) {
            byAgent.computeIfAbsent(line.agentName(), name -> new ArrayList<>()).add(line);
        }
        List<AgentUsage> agents = new ArrayList<>(byAgent.size());
        Usage total = Usage.ZERO;
        for (Map.Entry<String, List<UsageLine>> agent : byAgent.entrySet()) {
            Usage sum = Usage.ZERO;
            List<TokenLine> tokens = new ArrayList<>(agent.getValue().size());
            agent.getValue().sort(Comparator.comparing(UsageLine::tokenId));
            for (UsageLine line : agent.getValue()) {
                sum = sum.plus(line.usage());
                tokens.add(new TokenLine(line.tokenId(), UsageView.of(line.usage())));
            }
            total = total.plus(sum);
            agents.add(new AgentUsage(agent.getKey(), UsageView.of(sum), tokens));
        }
        return new UsageReport(query.from().toString(), query.to().toString(), query.agent().orElse(null),
                UsageView.of(total), agents);
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
