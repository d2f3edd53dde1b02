using Microsoft.EntityFrameworkCore;

namespace IntegrationHub.Hosting;

/// <summary>Where a page of a list starts, for every paged list of the API.</summary>
internal static class Paging
{
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
