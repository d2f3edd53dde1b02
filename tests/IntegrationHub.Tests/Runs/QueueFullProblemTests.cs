using IntegrationHub.Runs;
using Microsoft.AspNetCore.Http;

namespace IntegrationHub.Tests.Runs;

public sealed class QueueFullProblemTests
{
    [Fact]
    public void Detail_NamesTheLimitAsTheAdvancedEditPageLabelsIt()
    {
        var problem = QueueFullProblem.Create(new DefaultHttpContext(), new RunsOptions());

        Assert.Equal(StatusCodes.Status429TooManyRequests, problem.StatusCode);
        Assert.Contains("Queue limit (Advanced edit)", problem.ProblemDetails.Detail, StringComparison.Ordinal);
    }
}
