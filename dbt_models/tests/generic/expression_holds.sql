{% test expression_holds(model, expression) %}
-- Rows for which the expression is false: the test fails when any exist.
select * from {{ model }} where not ({{ expression }})
{% endtest %}
