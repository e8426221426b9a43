{% test stage_balances(model) %}
-- Per stage and source of a funnel, rows_in - rows_out must equal the rows dropped (summed over reasons).
select stage, source, any_value(rows_in) as rows_in, any_value(rows_out) as rows_out, sum(rejected) as rejected
from {{ model }}
group by stage, source
having any_value(rows_in) - any_value(rows_out) != sum(rejected)
{% endtest %}
