import QtQuick
import QtQuick.Controls

// A SpinBox over real numbers with `decimals` places (SpinBox itself counts in integers).
SpinBox {
    id: box
    property int decimals: 1
    property real realValue: 0
    property real realFrom: 0
    property real realTo: 100
    property real realStep: 0.5
    readonly property real factor: Math.pow(10, decimals)

    from: Math.round(realFrom * factor)
    to: Math.round(realTo * factor)
    stepSize: Math.round(realStep * factor)
    value: Math.round(realValue * factor)
    editable: true
    onValueModified: realValue = value / factor
    validator: DoubleValidator { bottom: box.realFrom; top: box.realTo; decimals: box.decimals }
    textFromValue: (value, locale) => Number(value / factor).toLocaleString(locale, 'f', decimals)
    valueFromText: (text, locale) => Math.round(Number.fromLocaleString(locale, text) * factor)
}
