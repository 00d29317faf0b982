import QtQuick
import QtTest
import Atelier

// A gallery filter's choices: "any", the index's values with counts, the value in use kept
// listed and shown when the facets change under it.
TestCase {
    id: test
    name: "FacetFilter"
    when: windowShown

    Component {
        id: filterComponent
        FacetFilter {
            anyText: "Any model"
            facet: [{ value: "dreamshaper_8", count: 12 }, { value: "sd-v1-5", count: 3 }]
        }
    }

    function texts(filter) { return filter.model.map(choice => choice.text) }

    function test_lists_any_then_the_values_with_counts() {
        const filter = createTemporaryObject(filterComponent, test)
        compare(texts(filter), ["Any model", "dreamshaper_8 (12)", "sd-v1-5 (3)"])
        compare(filter.currentIndex, 0)
        compare(filter.currentValue, "")
    }

    function test_shows_the_value_in_use() {
        const filter = createTemporaryObject(filterComponent, test, { value: "sd-v1-5" })
        compare(filter.currentText, "sd-v1-5 (3)")
        filter.value = ""
        compare(filter.currentText, "Any model")
    }

    function test_value_in_use_stays_when_the_facets_change() {
        const filter = createTemporaryObject(filterComponent, test)
        filter.value = "sd-v1-5"
        filter.facet = [{ value: "sd-v1-5", count: 4 }, { value: "dreamshaper_8", count: 2 }]
        compare(filter.currentText, "sd-v1-5 (4)")
        compare(filter.currentValue, "sd-v1-5")
        // Its last image gone: still listed, with 0, and still shown.
        filter.facet = [{ value: "dreamshaper_8", count: 2 }]
        compare(texts(filter), ["Any model", "dreamshaper_8 (2)", "sd-v1-5 (0)"])
        compare(filter.currentText, "sd-v1-5 (0)")
    }

    function test_no_facets_yet() {
        const filter = createTemporaryObject(filterComponent, test, { facet: [] })
        compare(texts(filter), ["Any model"])
        compare(filter.currentText, "Any model")
    }
}
