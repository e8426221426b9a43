{% test unique_combination(model, columns) %}
-- Combinations of `columns` that occur more than once (dbt_utils' unique_combination_of_columns, without the
-- package download): the test fails when any exist.
select {{ columns | join(', ') }}, count(*) as occurrences
from {{ model }}
group by {{ columns | join(', ') }}
having count(*) > 1
{% endtest %}
