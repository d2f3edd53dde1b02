using IntegrationHub.Data;

namespace IntegrationHub.Scenarios;

/// <summary>The scenario search of the API and the Scenarios page: the same matches in both.</summary>
internal static class ScenarioSearch
{
    /// <summary>
    /// Scenarios whose name or description holds <paramref name="search"/>, lower-cased by Unicode rules on both
    /// databases (SQLite's own lower() folds ASCII only); all of them for an empty search. The term is lower-cased by the
    /// database too, by the same function as the text: .NET and PostgreSQL disagree on a few letters ("İ" is "i" to
    /// PostgreSQL, itself to .NET), and either way round one database would miss what the other finds. A term holding
    /// U+0000 matches nothing: no name or description holds it (the API refuses it), and PostgreSQL's text cannot even
    /// compare it.
    /// </summary>
    public static IQueryable<Scenario> Matching(this IQueryable<Scenario> query, string? search)
    {
        if (string.IsNullOrWhiteSpace(search))
        {
            return query;
        }
        var term = search.Trim();
        return term.Contains('\0')
            ? query.Where(_ => false)
            : query.Where(s => HubFunctions.Lower(s.Name).Contains(HubFunctions.Lower(term))
                || HubFunctions.Lower(s.Description).Contains(HubFunctions.Lower(term)));
    }
}
