{% test between(model, column_name, min_value, max_value) %}
-- Rows whose column lies outside [min_value, max_value] (nulls are not_null's business).
select * from {{ model }}
where {{ column_name }} < {{ min_value }} or {{ column_name }} > {{ max_value }}
{% endtest %}
