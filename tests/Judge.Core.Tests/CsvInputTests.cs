using Judge.Data;
using Judge.Tests.Support;

namespace Judge.Tests;

public sealed class CsvInputTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void ReadAnswers_WithColumnMap_ReadsMappedColumnsAndModelFromFileName()
    {
        var path = _dir.Write(
            "assistant-small.csv",
            "id,response,notes",
            "1,\"Paris, of course.\",short",
            "2,\"Line one\nline two\",");

        var answers = CsvInput.ReadAnswers(path, CsvColumnMap.Parse("question_id=id,turn1=response"));

        Assert.Equal(["1", "2"], answers.Select(a => a.QuestionId));
        Assert.All(answers, a => Assert.Equal("assistant-small", a.ModelId));
        Assert.Equal(["Paris, of course."], answers[0].Turns);
        Assert.Equal(["Line one\nline two"], answers[1].Turns);
    }

    [Fact]
    public void ReadQuestions_TurnColumns_ReadInOrderStoppingAtEmptyTurn()
    {
        var path = _dir.Write(
            "questions.csv",
            "question_id,category,turn1,turn2",
            "1,writing,Write a poem.,Shorter please.",
            "2,math,What is 2+2?,");

        var questions = DataFiles.ReadQuestions(path);

        Assert.Equal(["Write a poem.", "Shorter please."], questions[0].Turns);
        Assert.Equal(["What is 2+2?"], questions[1].Turns);
        Assert.Equal("math", questions[1].Category);
    }

    [Fact]
    public void ReadAnswers_RowWithWrongCellCount_NamesTheLine()
    {
        var path = _dir.Write(
            "answers.csv",
            "question_id,model_id,answer",
            "1,m,fine",
            "2,m,too,many");

        var ex = Assert.Throws<InputException>(() => CsvInput.ReadAnswers(path, new CsvColumnMap()));

        Assert.Equal(path, ex.Path);
        Assert.Equal(3, ex.Line);
        Assert.Contains("has 4 cells but the header has 3", ex.Message);
    }

    [Fact]
    public void ReadAnswers_MissingMappedColumn_SaysHowToMapIt()
    {
        var path = _dir.Write("answers.csv", "qid,answer", "1,x");

        var ex = Assert.Throws<InputException>(() => CsvInput.ReadAnswers(path, new CsvColumnMap()));

        Assert.Equal("question_id", ex.Field);
        Assert.Contains("field=Column", ex.Message);
    }

    [Fact]
    public void ReadAnswers_EmptyRequiredCell_NamesColumnAndLine()
    {
        var path = _dir.Write("answers.csv", "question_id,answer", "1,x", ",y");

        var ex = Assert.Throws<InputException>(() => CsvInput.ReadAnswers(path, new CsvColumnMap()));

        Assert.Equal(3, ex.Line);
        Assert.Equal("question_id", ex.Field);
    }

    [Fact]
    public void ReadPairwiseLabels_MappedColumns_ReadWinnerAndTurn()
    {
        var path = _dir.Write("labels.csv", "qid,left,right,result,rater,turn", "1,x,y,model_b,expert_1,2", "2,x,y,tie,expert_2,");

        var labels = CsvInput.ReadPairwiseLabels(path, CsvColumnMap.Parse("question_id=qid, model_a=left, model_b=right, winner=result, judge=rater"));

        Assert.Equal(new PairwiseLabel("1", "x", "y", PairOutcome.B, "expert_1", 2), labels[0]);
        Assert.Equal(1, labels[1].Turn);
    }

    [Fact]
    public void ReadPairwiseLabels_BadWinner_NamesColumnAndLine()
    {
        var path = _dir.Write("labels.csv", "question_id,model_a,model_b,winner", "1,x,y,left");

        var ex = Assert.Throws<InputException>(() => CsvInput.ReadPairwiseLabels(path, new CsvColumnMap()));

        Assert.Equal(2, ex.Line);
        Assert.Equal("winner", ex.Field);
    }

    [Theory]
    [InlineData("question_id")]
    [InlineData("question_id=")]
    [InlineData("answr=response")]
    public void Parse_BadColumnMap_IsAnInputError(string spec)
    {
        Assert.Throws<InputException>(() => CsvColumnMap.Parse(spec));
    }

    [Fact]
    public void Parse_ColumnMap_UnmappedFieldsUseTheirOwnName()
    {
        var map = CsvColumnMap.Parse("question_id=id,turn1=response");

        Assert.Equal("id", map.Column("question_id"));
        Assert.Equal("response", map.Column("turn1"));
        Assert.Equal("model_id", map.Column("model_id"));
    }
}
