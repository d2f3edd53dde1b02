using Microsoft.EntityFrameworkCore;

namespace IntegrationHub.Hosting;

/// <summary>Where a page of a list starts, for every paged list of the API.</summary>
internal static class Paging
{
    public const int DefaultPageSize = 50;

    /// <summary>The largest page a list answers, unless it names its own.</summary>
    public const int MaxPageSize = 200;

    /// <summary>
    /// Reads <c>page</c> (1-based, default 1) and <c>pageSize</c> (1 to <paramref name="maxPageSize"/>, default
    /// <see cref="DefaultPageSize"/>), adding what is wrong with them to <paramref name="errors"/>.
    /// </summary>
    public static bool TryRead(
        int? page, int? pageSize, Dictionary<string, string[]> errors, out int p, out int size, int maxPageSize = MaxPageSize)
    {
        p = page ?? 1;
        size = pageSize ?? DefaultPageSize;
        var valid = true;
        if (p < 1)
        {
            errors["page"] = ["The page is 1 or more."];
            valid = false;
        }
        if (size < 1 || size > maxPageSize)
        {
            errors["pageSize"] = [$"The page size is between 1 and {maxPageSize}."];
            valid = false;
        }
        return valid;
    }

    /// <summary>
    /// The number of items before <paramref name="page"/> (1-based). In long: <c>(page - 1) * pageSize</c> in int
    /// overflows for a page near int.MaxValue and wraps to a small or negative offset, answering an early page.
    /// </summary>
    public static long Offset(int page, int pageSize) => (page - 1L) * pageSize;

    /// <summary>The items of one page; a page that starts past int.MaxValue items (past the end of any list) is empty.</summary>
    public static async Task<List<T>> ToPageAsync<T>(this IQueryable<T> query, int page, int pageSize, CancellationToken cancellationToken)
    {
        var offset = Offset(page, pageSize);
        return offset > int.MaxValue ? [] : await query.Skip((int)offset).Take(pageSize).ToListAsync(cancellationToken);
    }
}
